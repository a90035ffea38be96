// Java in the sandbox: a thread pool, futures, a child process (run as a single source file).
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

public class Threads {
    public static void main(String[] args) throws Exception {
        ExecutorService ex = Executors.newFixedThreadPool(4);
        List<Future<Long>> fs = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            final int k = i;
            fs.add(ex.submit(() -> {
                long s = 0;
                for (int j = 0; j < 1000000; j++) s += j % (k + 1);
                return s;
            }));
        }
        long total = 0;
        for (Future<Long> f : fs) total += f.get();
        ex.shutdown();
        System.out.println("sum " + total);
        Process p = new ProcessBuilder("echo", "from a child").start();
        System.out.println(new String(p.getInputStream().readAllBytes()).trim() + ", status " + p.waitFor());
    }
}
