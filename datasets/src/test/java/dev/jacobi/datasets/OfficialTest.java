package dev.jacobi.datasets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OfficialTest {
    @Test
    void theTableNamesEveryStandardFileWithAFullSha256() {
        assertEquals(List.of("mnist", "fashion-mnist", "cifar10"), List.copyOf(Official.FILES.keySet()));
        for (List<Official.File> files : Official.FILES.values()) {
            for (Official.File f : files) {
                assertTrue(f.sha256().matches("[0-9a-f]{64}"), f.toString());
                assertTrue(f.url().getScheme().startsWith("http"), f.toString());
            }
        }
        assertEquals(4, Official.FILES.get("mnist").size());
        assertTrue(Official.FILES.get("cifar10").get(0).url().getPath().endsWith("cifar-10-binary.tar.gz"));
        assertThrows(IllegalArgumentException.class, () -> Official.download("imagenet", Path.of("x")));
    }

    @Test
    void aServedFileWithTheWrongContentIsRejected(@TempDir Path dir) throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", ex -> {
            byte[] body = "not the real MNIST".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(body);
            }
        });
        server.start();
        try {
            URI base = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
            IOException e = assertThrows(IOException.class, () -> Official.download("mnist", dir, base));
            assertTrue(e.getMessage().contains("440fcabf"), e.getMessage());
            assertFalse(Files.exists(dir.resolve("train-images-idx3-ubyte.gz")));
        } finally {
            server.stop(0);
        }
    }

    private static byte[] tarEntry(String name, byte[] data) {
        byte[] h = new byte[512];
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(n, 0, h, 0, n.length);
        byte[] size = String.format("%011o", data.length).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(size, 0, h, 124, size.length);
        h[156] = '0';
        byte[] out = new byte[512 + (data.length + 511) / 512 * 512];
        System.arraycopy(h, 0, out, 0, 512);
        System.arraycopy(data, 0, out, 512, data.length);
        return out;
    }

    private static Path tarGz(Path file, byte[]... entries) throws IOException {
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        for (byte[] e : entries) {
            raw.write(e);
        }
        raw.write(new byte[1024]);
        try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(file))) {
            o.write(raw.toByteArray());
        }
        return file;
    }

    @Test
    void untarWritesRegularFilesAndRefusesEscapes(@TempDir Path dir) throws Exception {
        byte[] record = new byte[Cifar10.RECORD_BYTES];
        record[0] = 7;
        record[5] = 42;
        Path archive = tarGz(dir.resolve("a.tar.gz"), tarEntry("cifar-10-batches-bin/test_batch.bin", record),
                tarEntry("cifar-10-batches-bin/readme.html", "hello".getBytes(StandardCharsets.UTF_8)));
        Path out = dir.resolve("out");
        Official.untar(archive, out);
        assertArrayEquals(record, Files.readAllBytes(out.resolve("cifar-10-batches-bin/test_batch.bin")));
        assertEquals("hello", Files.readString(out.resolve("cifar-10-batches-bin/readme.html")));
        Path evil = tarGz(dir.resolve("evil.tar.gz"), tarEntry("../../escape.txt", new byte[3]));
        IOException e = assertThrows(IOException.class, () -> Official.untar(evil, out));
        assertTrue(e.getMessage().contains("would leave"), e.getMessage());
        Path cut = dir.resolve("cut.tar.gz");
        byte[] whole = tarEntry("x.bin", new byte[2000]);
        try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(cut))) {
            o.write(whole, 0, 900);
        }
        assertThrows(IOException.class, () -> Official.untar(cut, dir.resolve("out2")));
        assertFalse(Files.exists(dir.resolve("out2/x.bin")));
    }
}
