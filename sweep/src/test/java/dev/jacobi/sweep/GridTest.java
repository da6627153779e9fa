package dev.jacobi.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GridTest {
    static final String TINY = """
            base: {model: mlp, width: 32, epochs: 1}
            eval: {eps: [0.5, 1.0], examples: 200}
            axes:
              penalty: [grad-l2, "hessian,k=5"]
              lambda: [0.01, 0.1, 1]
              seed: [0, 1]
            """;

    @Test
    void everyCombinationIsAPointWithItsTrainAndEvalCommandLine() throws IOException {
        Grid g = Grid.parse(TINY, "tiny.yaml", "tiny");
        assertEquals("tiny", g.name());
        assertEquals(12, g.points().size());
        Grid.Point p = g.points().get(0);
        assertEquals("penalty-grad-l2_lambda-0.01_seed-0", p.id());
        assertEquals(Map.of("penalty", "grad-l2", "lambda", 0.01, "seed", 0), p.values());
        assertEquals(List.of("train", "--model", "mlp", "--width", "32", "--epochs", "1", "--seed", "0", "--reg",
                "grad-l2=0.01", "&&", "eval", "--eps", "0.5,1", "--examples", "200"), p.args());
        assertEquals("jacobi train --model mlp --width 32 --epochs 1 --seed 0 --reg grad-l2=0.01 --out DIR && jacobi"
                + " eval --model DIR/model.safetensors --eps 0.5,1 --examples 200", p.command());
        // the first axis is outermost; a penalty's options follow its λ
        Grid.Point last = g.points().get(11);
        assertEquals("penalty-hessian-k-5_lambda-1_seed-1", last.id());
        assertTrue(last.args().contains("hessian=1,k=5"), last.args().toString());
        assertEquals(12, g.points().stream().map(Grid.Point::id).distinct().count());
    }

    @Test
    void jsonGridsWorkAndEvalCanBeOff() throws IOException {
        Grid g = Grid.parse("{\"base\": {\"data\": \"bundled\", \"reg\": [\"sn-clip=2\", \"grad-l2=0.1\"]},"
                + " \"eval\": false, \"axes\": {\"lr\": [1e-4, 0.001]}}", "g.json", "g");
        assertEquals(2, g.points().size());
        assertEquals(List.of("train", "--data", "bundled", "--reg", "sn-clip=2", "--reg", "grad-l2=0.1", "--lr",
                "0.0001"), g.points().get(0).args());
        assertEquals("lr-0.0001", g.points().get(0).id());
    }

    @Test
    void aBadGridNamesTheFileTheFieldAndTheValue(@TempDir Path dir) throws IOException {
        String[][] cases = {
            {"axes: {seed: [0]}\nbogus: 1", "g.yaml: unknown field 'bogus'; a grid has name, base, eval and axes"},
            {"base: {widht: 3}\naxes: {seed: [0]}", "g.yaml: base.widht: jacobi train has no option --widht"},
            {"axes: {out: [a, b]}", "g.yaml: axes.out: jacobi train has no option --out that a sweep may set"},
            {"axes: {threads: [1, 2]}", "g.yaml: axes.threads: jacobi train has no option --threads"},
            {"eval: {epss: [1]}\naxes: {seed: [0]}", "g.yaml: eval.epss: jacobi eval has no option --epss"},
            {"axes: {lambda: [0.1]}", "g.yaml: lambda needs a penalty (as an axis or in base)"},
            {"base: {penalty: grad-l2}\naxes: {seed: [0]}", "g.yaml: penalty needs lambda"},
            {"axes: {seed: []}", "g.yaml: axes.seed must be a non-empty list of values, not a list"},
            {"axes: {seed: 3}", "g.yaml: axes.seed must be a non-empty list of values, not '3'"},
            {"axes: {seed: [1, 1]}", "g.yaml: axes.seed lists 1 twice"},
            {"axes: {}", "g.yaml: axes is empty"},
            {"base: {seed: 1}\naxes: {seed: [0, 1]}", "g.yaml: 'seed' is both in base and an axis"},
            {"- 1\n- 2", "g.yaml: a grid is a mapping with base, eval and axes, not a list"},
            {"name: 'a b'\naxes: {seed: [0]}", "g.yaml: name 'a b' must match [A-Za-z0-9._-]+"},
            {"axes: {model: [MLP, mlp]}", "g.yaml: two points would share the name model-mlp"},
        };
        for (String[] c : cases) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Grid.parse(c[0], "g.yaml", "g"), c[0]);
            assertTrue(e.getMessage().startsWith(c[1]), c[0] + " gave: " + e.getMessage());
        }
        IOException e = assertThrows(IOException.class, () -> Grid.parse("axes: {seed: [0", "g.yaml", "g"));
        assertTrue(e.getMessage().startsWith("g.yaml: not a valid YAML or JSON grid"), e.getMessage());
        Path missing = dir.resolve("nope.yaml");
        e = assertThrows(IOException.class, () -> Grid.load(missing));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
        Path file = dir.resolve("lr-grid.yml");
        Files.writeString(file, "axes: {lr: [0.1, 0.01]}");
        assertEquals("lr-grid", Grid.load(file).name());
    }

    @Test
    void theBundledExampleGridHasTwelvePoints() throws IOException {
        Grid g = Grid.load(Path.of("..", "examples", "sweeps", "penalties-tiny.yaml"));
        assertEquals(12, g.points().size());
        assertEquals(List.of("penalty", "lambda", "seed"), List.copyOf(g.axes().keySet()));
    }
}
