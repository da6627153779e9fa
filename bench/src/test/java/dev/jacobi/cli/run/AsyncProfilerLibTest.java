package dev.jacobi.cli.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AsyncProfilerLibTest {
    @TempDir
    Path tmp;

    /** A fake async-profiler jar of version {@code v} whose library for {@code platform} holds the text {@code v}. */
    private void jar(String v, String platform) throws IOException {
        Path dir = tmp.resolve("m2/tools/profiler/async-profiler/" + v);
        Files.createDirectories(dir);
        try (OutputStream f = Files.newOutputStream(dir.resolve("async-profiler-" + v + ".jar"));
             ZipOutputStream z = new ZipOutputStream(f)) {
            z.putNextEntry(new ZipEntry(platform + "/libasyncProfiler.so"));
            z.write(v.getBytes(StandardCharsets.UTF_8));
            z.closeEntry();
        }
    }

    @Test
    void theNewestJarsLibraryIsExtractedAndNamedInEachAsyncProfilerOption() throws IOException {
        jar("2.9", AsyncProfilerLib.platform());
        jar("10.0", AsyncProfilerLib.platform());
        jar("3.0", AsyncProfilerLib.platform());
        List<String> out = AsyncProfilerLib.withLibPath(List.of("ConvBench", "-prof", "async", "-prof",
                "async:event=cpu;output=flat", "-prof", "gc", "-prof", "async:libPath=/mine.so"), tmp.resolve("m2"),
                tmp.resolve("out"));
        Path lib = tmp.resolve("out/async-profiler-10.0/libasyncProfiler.so").toAbsolutePath();
        assertEquals(List.of("ConvBench", "-prof", "async:libPath=" + lib, "-prof",
                "async:event=cpu;output=flat;libPath=" + lib, "-prof", "gc", "-prof", "async:libPath=/mine.so"), out);
        assertEquals("10.0", Files.readString(lib));
    }

    @Test
    void argumentsWithoutTheAsyncProfilerAreLeftAsTheyAre() throws IOException {
        List<String> args = List.of("GemmBench", "-prof", "gc", "-p", "n=128", "-prof");
        assertEquals(args, AsyncProfilerLib.withLibPath(args, tmp.resolve("none"), tmp.resolve("out")));
    }

    @Test
    void aMissingJarSaysHowToFetchIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AsyncProfilerLib.withLibPath(List.of("-prof", "async"), tmp.resolve("m2"), tmp.resolve("out")));
        assertTrue(e.getMessage().contains("mvn dependency:get -Dartifact=" + AsyncProfilerLib.ARTIFACT)
                && e.getMessage().contains(tmp.resolve("m2").toString()), e.getMessage());
    }

    @Test
    void aJarWithoutThisPlatformsBuildIsNamed() throws IOException {
        jar("3.0", "solaris-sparc");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AsyncProfilerLib.withLibPath(List.of("-prof", "async"), tmp.resolve("m2"), tmp.resolve("out")));
        assertTrue(e.getMessage().contains("async-profiler-3.0.jar") && e.getMessage().contains(
                AsyncProfilerLib.platform() + "/libasyncProfiler.so"), e.getMessage());
    }
}
