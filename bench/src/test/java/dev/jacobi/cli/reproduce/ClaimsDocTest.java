package dev.jacobi.cli.reproduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The claims: fixed in docs/reproductions/CLAIMS.md, and judged on the mean minus one standard deviation. */
class ClaimsDocTest {
    private static final Path DOC = Path.of("..", "docs", "reproductions", "CLAIMS.md");

    @Test
    void theDocumentListsTheClaimsTheRunsUse() throws Exception {
        String want = ReproduceCommand.claimsMarkdown();
        if (Boolean.getBoolean("jacobi.updateDocs")) {
            Files.writeString(DOC, want);
        }
        assertEquals(want, Files.readString(DOC), "docs/reproductions/CLAIMS.md differs from the claims in the code;"
                + " a band may not change after a run (regenerate with -Djacobi.updateDocs=true only for a new claim)");
    }

    @Test
    void aClaimNeedsTheMeanMinusOneStandardDeviationInsideItsBand() {
        Claim c = new Claim("x", "x", "x", 1.0, Double.POSITIVE_INFINITY, s -> s.num("a", "v"));
        Map<String, Map<String, Object>> r = Map.of("a-seed0", Map.of("v", 1.4), "a-seed1", Map.of("v", 1.0),
                "a-seed2", Map.of("v", 1.3));
        Map<String, Object> e = c.evaluate(r, 3);
        assertEquals(1.2333333333333334, (double) e.get("mean"), 1e-12);
        assertEquals(0.2081665999466133, (double) e.get("std"), 1e-12);
        assertEquals("reproduced", e.get("verdict"), "mean 1.23 - std 0.21 = 1.03 >= 1");
        // the same values against a band starting at 1.1: the mean clears it, the mean minus one std does not
        Claim strict = new Claim("y", "y", "y", 1.1, Double.POSITIVE_INFINITY, s -> s.num("a", "v"));
        assertEquals("not reproduced", strict.evaluate(r, 3).get("verdict"));
        Claim upper = new Claim("z", "z", "z", Double.NEGATIVE_INFINITY, 1.4, s -> s.num("a", "v"));
        assertEquals("not reproduced", upper.evaluate(r, 3).get("verdict"), "the mean is below 1.4, mean + std is not");
        assertEquals("partly", Claim.verdict(List.of(e, strict.evaluate(r, 3))));
        assertTrue(Claim.table(List.of(e)).contains("| x | x | x | ≥ 1.00 | 1.23 ± 0.208 | reproduced |"));
    }
}
