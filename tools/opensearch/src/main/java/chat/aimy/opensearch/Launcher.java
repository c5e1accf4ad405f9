package chat.aimy.opensearch;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.opensearch.Version;
import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.common.settings.Settings;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.painless.PainlessPlugin;
import org.opensearch.plugins.Plugin;
import org.opensearch.transport.Netty4Plugin;

/**
 * Starts a single-node OpenSearch in this JVM, bound to 127.0.0.1, with its data in a temporary folder that is
 * deleted on exit. Prints exactly one line on stdout once the node answers on HTTP; OpenSearch's log goes to
 * stderr. Stops cleanly on SIGTERM/SIGINT (shutdown hook). Used by the test setup, `.ci/run` and
 * `npm run opensearch -- --port N` (see docs/search.md).
 *
 * Arguments: --port N (HTTP port, default 9200), --data DIR (keep data there instead of a temporary folder).
 */
public final class Launcher {

    /** A Node that is handed its plugins as classes, since there is no plugins/ folder in an embedded node. */
    static final class EmbeddedNode extends Node {
        EmbeddedNode(Settings settings, Collection<Class<? extends Plugin>> plugins) {
            super(InternalSettingsPreparer.prepareEnvironment(settings, new HashMap<>(), null, () -> "aimychats-search"),
                plugins, true);
        }
    }

    public static void main(String[] args) throws Exception {
        int port = 9200;
        Path dataDir = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--port" -> port = Integer.parseInt(args[++i]);
                case "--data" -> dataDir = Path.of(args[++i]);
                default -> {
                    System.err.println("usage: Launcher [--port N] [--data DIR]");
                    System.exit(2);
                }
            }
        }
        final Path home = Files.createTempDirectory("aimychats-opensearch-");
        final boolean keepData = dataDir != null;
        final Path data = keepData ? dataDir : home.resolve("data");

        Settings settings = Settings.builder()
            .put("cluster.name", "aimychats-search")
            .put("node.name", "aimychats-search")
            .put("path.home", home.toString())
            .put("path.data", data.toString())
            .put("network.host", "127.0.0.1")
            .put("http.port", port)
            .put("transport.port", "0")
            .put("http.type", "netty4")
            .put("transport.type", "netty4")
            .put("discovery.type", "single-node")
            // A shared disk that is nearly full must not turn the index read-only in the middle of a test.
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            .put("action.auto_create_index", true)
            .build();

        final Node node = new EmbeddedNode(settings, List.of(Netty4Plugin.class, CommonAnalysisPlugin.class, PainlessPlugin.class));
        final CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
                node.awaitClose(20, TimeUnit.SECONDS);
            } catch (Exception e) {
                System.err.println("opensearch: error while stopping: " + e);
            } finally {
                deleteQuietly(home);
                stopped.countDown();
            }
        }, "opensearch-stop"));

        node.start();
        waitForHttp(port);
        System.out.println("opensearch " + Version.CURRENT + " ready on http://127.0.0.1:" + port);
        System.out.flush();
        stopped.await();
    }

    /** Polls GET / until the node answers 200 (cluster formed, HTTP bound), for at most two minutes. */
    private static void waitForHttp(int port) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (true) {
            try {
                HttpURLConnection c = (HttpURLConnection) new URL("http://127.0.0.1:" + port + "/_cluster/health?wait_for_status=yellow&timeout=5s").openConnection();
                c.setConnectTimeout(1000);
                c.setReadTimeout(10000);
                int code = c.getResponseCode();
                try (InputStream in = code < 400 ? c.getInputStream() : c.getErrorStream()) {
                    if (in != null) in.readAllBytes();
                }
                if (code == 200) return;
            } catch (IOException notYet) {
                // not listening yet
            }
            if (System.nanoTime() > deadline) throw new IllegalStateException("OpenSearch did not answer on port " + port);
            Thread.sleep(200);
        }
    }

    private static void deleteQuietly(Path dir) {
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    Files.deleteIfExists(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException ignored) {
            // best effort: it is a temporary folder
        }
    }
}
