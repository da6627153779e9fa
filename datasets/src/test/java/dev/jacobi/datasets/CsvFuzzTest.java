package dev.jacobi.datasets;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Property test: any text or bytes make {@link Datasets#csv} either read a data set or throw an IOException naming the file. */
class CsvFuzzTest {
    @Provide
    Arbitrary<String> csvLike() {
        return Arbitraries.strings().withChars("0123456789,,,..--e \n\nxNaInfy+").ofMaxLength(200);
    }

    @Provide
    Arbitrary<byte[]> bytes() {
        return Arbitraries.bytes().array(byte[].class).ofMaxSize(200);
    }

    @Property(tries = 500, seed = "44")
    void csvLikeTextGivesADataSetOrACleanIoException(@ForAll("csvLike") String text) throws IOException {
        check(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    @Property(tries = 200, seed = "45")
    void randomBytesGiveADataSetOrACleanIoException(@ForAll("bytes") byte[] content) throws IOException {
        check(content);
    }

    private static void check(byte[] content) throws IOException {
        Path f = Files.createTempFile("fuzz", ".csv");
        try {
            Files.write(f, content);
            for (int label : new int[] {-1, 0, 2}) {
                try {
                    Dataset d = Datasets.csv(f, label, 0);
                    assertTrue(d.size() > 0);
                } catch (IOException e) {
                    assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
                }
            }
        } finally {
            Files.delete(f);
        }
    }
}
