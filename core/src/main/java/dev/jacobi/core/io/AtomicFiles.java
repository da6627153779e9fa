package dev.jacobi.core.io;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * All-or-nothing file writes: the content goes to a temporary file in the target's directory, is forced to disk,
 * then renamed over the target, so a reader or a crash sees either the old file or the complete new one.
 */
public final class AtomicFiles {
    private AtomicFiles() {
    }

    /**
     * Replaces {@code target} with what {@code writer} writes: temp file, {@code FileChannel.force}, then an atomic
     * {@code Files.move} (a plain replacing move where the file system has no atomic move). Parent directories are
     * created. On any failure the temporary file is deleted and the old target, if any, is left as it was.
     *
     * @param target the file to create or replace
     * @param writer writes the new content
     * @throws IOException if the writer or the file system fails
     */
    /**
     * Deletes the temporary files that writes of {@code target} left behind when their process was killed before
     * the rename ({@code .NAME.HEX.tmp} beside it). Call it only when no other process writes {@code target}.
     *
     * @param target the file whose stale temporaries to remove
     * @return the number of files removed
     * @throws IOException if listing or deleting fails
     */
    public static int removeStale(Path target) throws IOException {
        Path abs = target.toAbsolutePath();
        if (!Files.isDirectory(abs.getParent())) {
            return 0;
        }
        String prefix = "." + abs.getFileName() + ".";
        int n = 0;
        try (var files = Files.list(abs.getParent())) {
            for (Path p : files.toList()) {
                String f = p.getFileName().toString();
                if (f.startsWith(prefix) && f.endsWith(".tmp")
                        && f.substring(prefix.length(), f.length() - 4).matches("[0-9a-f]{1,16}")) {
                    Files.deleteIfExists(p);
                    n++;
                }
            }
        }
        return n;
    }

    public static void write(Path target, IoWriter writer) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        Files.createDirectories(dir);
        Path tmp = null;
        try {
            FileChannel ch = null;
            while (ch == null) {
                // a fresh name with CREATE_NEW rather than Files.createTempFile, which would make the target 0600
                Path candidate = dir.resolve("." + abs.getFileName() + "."
                        + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
                try {
                    ch = FileChannel.open(candidate, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                    tmp = candidate;
                } catch (FileAlreadyExistsException e) {
                    // someone else's file: try another name
                }
            }
            try (FileChannel c = ch) {
                OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16);
                writer.write(new FilterOutputStream(out) {
                    @Override
                    public void write(byte[] b, int off, int len) throws IOException {
                        out.write(b, off, len);
                    }

                    @Override
                    public void close() throws IOException {
                        out.flush();
                    }
                });
                out.flush();
                c.force(true);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                // a file system without atomic renames: the plain rename is the best it offers
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (Throwable t) {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException e) {
                    t.addSuppressed(e);
                }
            }
            throw t;
        }
        syncDirectory(dir);
    }

    /** Best effort: makes the rename durable on file systems that allow syncing a directory (Linux does). */
    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // not supported here (e.g. Windows); the rename itself is still atomic
        }
    }
}
