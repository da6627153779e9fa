package dev.jacobi.cli.run;

import dev.jacobi.core.io.AtomicFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Gives JMH's {@code -prof async} (async-profiler) its native library, so that {@code jacobi bench ConvBench -prof
 * async:event=cpu;output=flat} works without a {@code libPath}. The library comes from async-profiler's Maven jar
 * ({@code tools.profiler:async-profiler}, which holds {@code linux-x64}, {@code linux-arm64} and {@code macos}
 * builds) in the local Maven repository; nothing is downloaded here. Fetch it once with
 * {@code mvn dependency:get -Dartifact=tools.profiler:async-profiler:3.0}.
 */
public final class AsyncProfilerLib {
    /** The Maven coordinates to fetch, named in the error when no jar is found. */
    static final String ARTIFACT = "tools.profiler:async-profiler:3.0";

    private AsyncProfilerLib() {
    }

    /**
     * The JMH arguments with {@code libPath=…} added to each {@code -prof async[:options]} that has none; other
     * arguments are returned unchanged. The library is extracted from the newest async-profiler jar under
     * {@code m2} into {@code dir} (once per version).
     *
     * @param args JMH's command-line arguments
     * @param m2   the local Maven repository ({@code ~/.m2/repository})
     * @param dir  where the extracted library goes
     * @throws IllegalArgumentException when {@code -prof async} is asked for and no jar with a build for this OS and
     *                                  architecture is found, with the command that fetches it
     */
    public static List<String> withLibPath(List<String> args, Path m2, Path dir) throws IOException {
        List<String> out = new ArrayList<>(args);
        Path lib = null;
        for (int i = 0; i + 1 < out.size(); i++) {
            String p = out.get(i + 1);
            if (!out.get(i).equals("-prof") || !(p.equals("async") || p.startsWith("async:")) || p.contains("libPath=")) {
                continue;
            }
            if (lib == null) {
                lib = extract(m2, dir);
            }
            out.set(i + 1, (p.equals("async") ? "async:" : p + ";") + "libPath=" + lib.toAbsolutePath());
        }
        return out;
    }

    /** The library of the newest async-profiler jar under {@code m2}, extracted into {@code dir}. */
    private static Path extract(Path m2, Path dir) throws IOException {
        String entry = platform() + "/libasyncProfiler.so";
        Path versions = m2.resolve("tools/profiler/async-profiler");
        Optional<Path> jar = Optional.empty();
        if (Files.isDirectory(versions)) {
            try (Stream<Path> s = Files.list(versions)) {
                jar = s.map(v -> v.resolve("async-profiler-" + v.getFileName() + ".jar")).filter(Files::isRegularFile)
                        .max(AsyncProfilerLib::compareVersions);
            }
        }
        if (jar.isEmpty()) {
            throw new IllegalArgumentException("bench: -prof async needs async-profiler's native library, and no"
                    + " async-profiler jar is in " + versions + "; fetch it once with `mvn dependency:get -Dartifact="
                    + ARTIFACT + "`, or give its path: -prof async:libPath=/path/to/libasyncProfiler.so");
        }
        String v = jar.get().getParent().getFileName().toString();
        Path lib = dir.resolve("async-profiler-" + v).resolve("libasyncProfiler.so");
        if (Files.isRegularFile(lib)) {
            return lib;
        }
        try (ZipFile z = new ZipFile(jar.get().toFile())) {
            ZipEntry e = z.getEntry(entry);
            if (e == null) {
                throw new IllegalArgumentException("bench: " + jar.get() + " has no " + entry + " (async-profiler's"
                        + " jar has linux-x64, linux-arm64 and macos builds); give -prof async:libPath=...");
            }
            Files.createDirectories(lib.getParent());
            AtomicFiles.write(lib, o -> {
                try (InputStream in = z.getInputStream(e)) {
                    in.transferTo(o);
                }
            });
        }
        return lib;
    }

    /** The jar's folder for this machine: {@code linux-x64}, {@code linux-arm64} or {@code macos}. */
    static String platform() {
        String os = System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT);
        String arch = System.getProperty("os.arch");
        if (os.contains("mac")) {
            return "macos";
        }
        if (!os.contains("linux")) {
            throw new IllegalArgumentException("bench: async-profiler runs on Linux and macOS, not " + os);
        }
        return "linux-" + (arch.equals("aarch64") ? "arm64" : "x64");
    }

    /** Orders two jars by their folders' versions, number by number ({@code 3.0} before {@code 10.0}). */
    static int compareVersions(Path a, Path b) {
        String[] x = a.getParent().getFileName().toString().split("[.-]");
        String[] y = b.getParent().getFileName().toString().split("[.-]");
        for (int i = 0; i < Math.max(x.length, y.length); i++) {
            int c = Integer.compare(number(x, i), number(y, i));
            if (c != 0) {
                return c;
            }
        }
        return 0;
    }

    private static int number(String[] parts, int i) {
        return i < parts.length && parts[i].matches("\\d{1,9}") ? Integer.parseInt(parts[i]) : 0;
    }
}
