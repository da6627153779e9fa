package dev.jacobi.datasets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The downloader against a JDK HTTP server on loopback serving files made by the IDX writer. */
class DownloaderTest {
    @TempDir
    Path dir;
    private HttpServer server;
    private final AtomicInteger hits = new AtomicInteger();
    private byte[] file;
    private String sha;

    @BeforeEach
    void start() throws IOException {
        Path src = dir.resolve("src-images-idx3-ubyte.gz");
        Idx.write(src, new int[] {20, 28, 28}, IdxTest.randomBytes(20 * 784, 11));
        file = Files.readAllBytes(src);
        sha = Downloader.sha256(src);
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/full/", ex -> {
            hits.incrementAndGet();
            ex.sendResponseHeaders(200, file.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(file);
            }
        });
        server.createContext("/cut/", ex -> {
            hits.incrementAndGet();
            ex.sendResponseHeaders(200, file.length);
            OutputStream out = ex.getResponseBody();
            out.write(file, 0, file.length / 2);
            out.flush();
            ex.close(); // fewer bytes than Content-Length: the connection is dropped
        });
        server.createContext("/missing/", ex -> {
            hits.incrementAndGet();
            ex.sendResponseHeaders(404, -1);
            ex.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private URI url(String path) {
        return URI.create("http://" + server.getAddress().getHostString() + ":" + server.getAddress().getPort()
                + path);
    }

    private void assertNothingLeft(Path cache, String name) throws IOException {
        assertFalse(Files.exists(cache.resolve(name)), "no file under the final name");
        try (Stream<Path> s = Files.list(cache)) {
            assertEquals(0, s.count(), "no temporary file left");
        }
    }

    @Test
    void downloadsVerifiesAndCaches() throws IOException {
        Path cache = dir.resolve("cache");
        Downloader dl = new Downloader(cache);
        Path got = dl.fetch(url("/full/train-images-idx3-ubyte.gz"), sha.toUpperCase());
        assertEquals(cache.resolve("train-images-idx3-ubyte.gz"), got);
        assertArrayEquals(file, Files.readAllBytes(got));
        assertArrayEquals(new int[] {20, 28, 28}, Idx.read(got).dims());
        assertEquals(1, hits.get());
        dl.fetch(url("/full/train-images-idx3-ubyte.gz"), sha);
        assertEquals(1, hits.get(), "a verified cached file is not downloaded again");
        Files.write(got, new byte[] {1, 2, 3});
        dl.fetch(url("/full/train-images-idx3-ubyte.gz"), sha);
        assertEquals(2, hits.get(), "a corrupted cached file is replaced");
        assertArrayEquals(file, Files.readAllBytes(got));
    }

    @Test
    void wrongChecksumLeavesNoFile() throws IOException {
        Path cache = dir.resolve("cache");
        String wrong = "0".repeat(64);
        IOException e = assertThrows(IOException.class,
                () -> new Downloader(cache).fetch(url("/full/x.gz"), wrong));
        assertTrue(e.getMessage().contains("SHA-256 " + sha) && e.getMessage().contains(wrong), e.getMessage());
        assertNothingLeft(cache, "x.gz");
    }

    @Test
    void truncatedTransferLeavesNoFile() throws IOException {
        Path cache = dir.resolve("cache");
        IOException e = assertThrows(IOException.class, () -> new Downloader(cache).fetch(url("/cut/y.gz"), sha));
        assertTrue(e.getMessage().contains("/cut/y.gz") && e.getMessage().contains("truncated transfer")
                && e.getMessage().contains(" of " + file.length + " bytes"), e.getMessage());
        assertNothingLeft(cache, "y.gz");
        e = assertThrows(IOException.class, () -> new Downloader(cache).fetch(url("/missing/z.gz"), sha));
        assertTrue(e.getMessage().contains("404"), e.getMessage());
        assertNothingLeft(cache, "z.gz");
        assertThrows(IllegalArgumentException.class, () -> new Downloader(cache).fetch(url("/full/x"), "abc"));
    }
}
