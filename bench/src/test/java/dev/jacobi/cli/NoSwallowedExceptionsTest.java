package dev.jacobi.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * No source file catches an exception and goes on without a word: every {@code catch} block of the main sources
 * rethrows, uses the exception (to report or keep it), or says in a comment why going on is right. The comment is
 * the allow-list.
 */
class NoSwallowedExceptionsTest {
    private static final Pattern CATCH = Pattern.compile("catch \\(([^)]*?)\\s(\\w+)\\)\\s*\\{");

    /** The offending catch blocks of one file, as {@code file:line}. */
    static List<String> swallowed(Path file, String text) {
        List<String> bad = new ArrayList<>();
        Matcher m = CATCH.matcher(text);
        while (m.find()) {
            int depth = 1;
            int i = m.end();
            while (i < text.length() && depth > 0) {
                char c = text.charAt(i++);
                depth += c == '{' ? 1 : c == '}' ? -1 : 0;
            }
            String body = text.substring(m.end(), Math.max(m.end(), i - 1));
            boolean rethrows = body.contains("throw ");
            boolean uses = Pattern.compile("\\b" + Pattern.quote(m.group(2)) + "\\b").matcher(body).find();
            boolean explained = body.contains("//");
            if (!rethrows && !uses && !explained) {
                int line = (int) text.substring(0, m.start()).chars().filter(ch -> ch == '\n').count() + 1;
                bad.add(file + ":" + line);
            }
        }
        return bad;
    }

    @Test
    void everyCatchRethrowsUsesOrExplains() throws IOException {
        // the tests run in bench/; the main sources of every module are its siblings
        List<String> bad = new ArrayList<>();
        int files = 0;
        for (String module : new String[] {"core", "autodiff", "regularizers", "datasets", "bench", "sweep"}) {
            Path src = Path.of("..", module, "src", "main", "java");
            try (Stream<Path> s = Files.walk(src)) {
                for (Path f : s.filter(p -> p.toString().endsWith(".java")).toList()) {
                    bad.addAll(swallowed(f, Files.readString(f)));
                    files++;
                }
            }
        }
        assertTrue(files > 100, "read only " + files + " files");
        assertTrue(bad.isEmpty(), "catch blocks that neither rethrow, use the exception nor say why in a comment: "
                + bad);
    }

    @Test
    void theCheckCatchesASilentCatch() {
        String silent = "class A { void f() { try { g(); } catch (IllegalArgumentException e) { x = 0; } } }";
        String explained = "class A { void f() { try { g(); } catch (IllegalArgumentException e) {\n"
                + "  // not piecewise linear: no margins\n x = 0; } } }";
        String used = "class A { void f() { try { g(); } catch (IOException e) { log(e); } } }";
        assertTrue(swallowed(Path.of("A.java"), silent).size() == 1);
        assertTrue(swallowed(Path.of("A.java"), explained).isEmpty());
        assertTrue(swallowed(Path.of("A.java"), used).isEmpty());
    }
}
