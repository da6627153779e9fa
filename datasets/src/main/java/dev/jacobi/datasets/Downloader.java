package dev.jacobi.datasets;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;

/**
 * Explicit downloads into a cache directory, verified by SHA-256: {@code fetch(url, h)} returns {@code cache/name}
 * only if {@code sha256(bytes) = h}. The body goes to a temporary file in the cache directory that is moved into place
 * atomically after the check, so an interrupted, truncated or corrupted transfer never leaves a file under the final
 * name. Jacobi never calls this on its own: the user asks for a download. The caller supplies the URL and the expected
 * checksum (from the data set's official page); none are built in.
 */
public final class Downloader {
    private final Path cacheDir;
    private final HttpClient client;

    /**
     * A downloader writing into {@code cacheDir} (created if missing).
     *
     * @param cacheDir the cache directory
     */
    public Downloader(Path cacheDir) {
        this.cacheDir = cacheDir;
        this.client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30))
                .followRedirects(HttpClient.Redirect.NORMAL).build();
    }

    /**
     * The cached copy of {@code url}, downloaded first if it is missing or its checksum differs. The cached name is
     * the last path segment of the URL.
     *
     * @param url    an http or https URL
     * @param sha256 the expected SHA-256 of the file, 64 hex digits
     * @return the verified file in the cache directory
     * @throws IOException if the transfer fails, is shorter than its Content-Length, the server answers other than
     *                     200, or the checksum differs; no file is left under the final name then
     */
    public Path fetch(URI url, String sha256) throws IOException {
        String want = sha256.toLowerCase(Locale.ROOT);
        if (!want.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("Downloader.fetch: sha256 '" + sha256 + "' is not 64 hex digits");
        }
        String path = url.getPath() == null ? "" : url.getPath();
        String name = path.substring(path.lastIndexOf('/') + 1);
        if (name.isEmpty() || name.equals("..") || name.equals(".")) {
            throw new IllegalArgumentException("Downloader.fetch: URL " + url + " names no file");
        }
        Files.createDirectories(cacheDir);
        Path target = cacheDir.resolve(name);
        if (Files.isRegularFile(target) && want.equals(sha256(target))) {
            return target;
        }
        Path tmp = Files.createTempFile(cacheDir, name + ".", ".part");
        try {
            String got = download(url, tmp);
            if (!got.equals(want)) {
                throw new IOException("Downloader: " + url + ": SHA-256 " + got + " differs from the expected " + want);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return target;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Streams {@code url} into {@code file}; returns the SHA-256 hex of the bytes. */
    private String download(URI url, Path file) throws IOException {
        HttpResponse<InputStream> resp;
        try {
            resp = client.send(HttpRequest.newBuilder(url).timeout(Duration.ofMinutes(30)).GET().build(),
                    HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("Downloader: " + url + ": interrupted", e);
        } catch (IOException | IllegalArgumentException e) {
            throw new IOException("Downloader: " + url + ": request failed: " + e, e);
        }
        MessageDigest md = sha256Digest();
        long declared = resp.headers().firstValueAsLong("Content-Length").orElse(-1);
        long n = 0;
        try (InputStream in = resp.body(); OutputStream out = Files.newOutputStream(file)) {
            if (resp.statusCode() != 200) {
                throw new IOException("HTTP status " + resp.statusCode());
            }
            byte[] buf = new byte[1 << 16];
            for (int r; (r = in.read(buf)) >= 0; n += r) {
                md.update(buf, 0, r);
                out.write(buf, 0, r);
            }
        } catch (IOException e) {
            String what = resp.statusCode() != 200 ? e.getMessage()
                    : declared > n ? "truncated transfer, " + n + " of " + declared + " bytes (Content-Length): " + e
                    : "transfer failed after " + n + " bytes: " + e;
            throw new IOException("Downloader: " + url + ": " + what, e);
        }
        if (declared >= 0 && declared != n) {
            throw new IOException("Downloader: " + url + ": " + (n < declared ? "truncated transfer" : "overlong body")
                    + ", " + n + " of " + declared + " bytes (Content-Length)");
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /**
     * The SHA-256 of a file, as 64 lower-case hex digits.
     *
     * @param file the file
     * @return its hex digest
     * @throws IOException if the file cannot be read
     */
    public static String sha256(Path file) throws IOException {
        MessageDigest md = sha256Digest();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int r; (r = in.read(buf)) >= 0; ) {
                md.update(buf, 0, r);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static MessageDigest sha256Digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JDK", e);
        }
    }
}
