package dev.jacobi.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** Every example runs on its tiny sizes and prints what it promises. */
class ExamplesTest {
    /** What each example's output must show. */
    private static final Map<String, String> EXPECT = Map.of(
            "mlp-mnist", "test accuracy 0\\.(\\d+)",
            "cnn-gradient-penalty", "lambda 0\\.1: test accuracy",
            "hessian-eigen", "top Hessian eigenvalue: ([0-9.]+) by power iteration \\(\\d+ HVPs\\), ([0-9.]+) from",
            "conv-spectral-norms", "an upper bound: true",
            "certified-lipschitz", "certified accuracy at l2 radius 1\\.58",
            "custom-op", "softsign, order 3");

    private static String run(String name) throws Exception {
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            Examples.run(name, new String[] {"--tiny"});
        } finally {
            System.setOut(old);
        }
        String s = out.toString(StandardCharsets.UTF_8);
        System.out.print(s);
        return s;
    }

    @TestFactory
    Stream<DynamicTest> everyExampleRunsOnTinySizes() {
        assertTrue(EXPECT.keySet().equals(Examples.ALL.keySet()), "every example has an expectation");
        return Examples.ALL.keySet().stream().map(name -> DynamicTest.dynamicTest(name, () -> {
            String out = run(name);
            Matcher m = Pattern.compile(EXPECT.get(name)).matcher(out);
            assertTrue(m.find(), name + " printed:\n" + out);
            if (name.equals("hessian-eigen")) {
                double power = Double.parseDouble(m.group(1));
                double exact = Double.parseDouble(m.group(2));
                assertTrue(Math.abs(power - exact) <= 1e-8 * exact, out);
            }
            if (name.equals("mlp-mnist")) {
                assertTrue(Double.parseDouble("0." + m.group(1)) > 0.5, out); // one epoch on 500 images
            }
        }));
    }
}
