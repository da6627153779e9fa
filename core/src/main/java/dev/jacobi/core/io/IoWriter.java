package dev.jacobi.core.io;

import java.io.IOException;
import java.io.OutputStream;

/** Writes a file's whole content to a stream: the callback of {@link AtomicFiles#write}. */
@FunctionalInterface
public interface IoWriter {
    /**
     * Writes the content to {@code out}; closing {@code out} is allowed but not needed.
     *
     * @param out the stream of the temporary file
     * @throws IOException if writing fails; the target is then left untouched
     */
    void write(OutputStream out) throws IOException;
}
