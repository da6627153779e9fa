package dev.jacobi.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir
    Path dir;

    List<String> listing(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    static void text(Path p, String s) throws IOException {
        AtomicFiles.write(p, out -> out.write(s.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void writesReplacesAndCreatesParents() throws IOException {
        Path p = dir.resolve("x/y/file.txt");
        text(p, "old");
        assertEquals("old", Files.readString(p));
        text(p, "new content");
        assertEquals("new content", Files.readString(p));
        AtomicFiles.write(p, out -> {
            out.write('z');
            out.close(); // closing is allowed
        });
        assertEquals("z", Files.readString(p));
        assertEquals(List.of("file.txt"), listing(p.getParent()));
    }

    @Test
    void failingWriterLeavesOldTargetAndNoTempFile() throws IOException {
        Path p = dir.resolve("model.bin");
        text(p, "precious");
        IOException io = new IOException("disk on fire");
        assertSame(io, assertThrows(IOException.class, () -> AtomicFiles.write(p, out -> {
            out.write(new byte[100_000]); // past the buffer, so bytes really reached the temp file
            throw io;
        })));
        RuntimeException boom = new UncheckedIOException(io);
        assertSame(boom, assertThrows(RuntimeException.class, () -> AtomicFiles.write(p, out -> {
            out.write(1);
            throw boom;
        })));
        assertEquals("precious", Files.readString(p));
        assertEquals(List.of("model.bin"), listing(dir));

        Path fresh = dir.resolve("never.bin");
        assertThrows(IOException.class, () -> AtomicFiles.write(fresh, out -> {
            throw io;
        }));
        assertEquals(List.of("model.bin"), listing(dir));
    }

    @Test
    void newFilesGetDefaultPermissionsNotTempFilePermissions() throws IOException {
        if (!FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            return;
        }
        Path plain = Files.writeString(dir.resolve("plain"), "a");
        Path atomic = dir.resolve("atomic");
        text(atomic, "a");
        assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(atomic));
    }
}
