// The hams demo service in Kotlin, over the Kotlin layer (bindings/kotlin) and
// the Java module io.hams, following the contract of tests/tck/README.md:
//   bindings/kotlin/build.sh examples/kotlin
//   bindings/kotlin/run.sh io.hams.demo.kotlin.DemoKt [--address HOST:PORT] [--warmup-ms N] [--drain-ms N]
// Probes: warmup (manual, ready+startup, healthy after --warmup-ms), loop
// (kick, alive, margin 1000 ms, kicked every 100 ms), disk (a check every
// 200 ms, timeout 1000 ms). Counter demo_loops_total, vector tck_requests_total,
// default-bucket histogram tck_latency_seconds (each with an exemplar); runtime named by hamsFromYaml
// (hams-kotlin). A status listener prints "change NAME healthy|unhealthy" for
// each change. Commands on stdin:
// stop-kicking, start-kicking, fail-disk, heal-disk, invalid-call.
// As in the Java demo, the JVM owns SIGTERM: a shutdown hook runs hams'
// shutdown sequence and halts with status 0.
package io.hams.demo.kotlin

import io.hams.Hams
import io.hams.HamsException
import io.hams.kotlin.Checks
import io.hams.kotlin.awaitShutdown
import io.hams.kotlin.closed
import io.hams.kotlin.counter
import io.hams.kotlin.counterVec
import io.hams.kotlin.get
import io.hams.kotlin.histogram
import io.hams.kotlin.inc
import io.hams.kotlin.hamsFromYaml
import io.hams.kotlin.healthCheck
import io.hams.kotlin.kickProbe
import io.hams.kotlin.manualProbe
import io.hams.kotlin.observe
import io.hams.kotlin.plusAssign
import io.hams.kotlin.port
import io.hams.kotlin.update
import kotlin.concurrent.thread
import kotlin.system.exitProcess

@Volatile private var kicking = true

@Volatile private var diskFull = false

private val stopLock = Any()
private var stopped = false

private fun say(line: String) = synchronized(System.out) {
    println("hams demo: $line")
    System.out.flush()
}

private fun usage(code: Int): Nothing {
    System.err.println("usage: DemoKt [--address HOST:PORT] [--warmup-ms N] [--drain-ms N]")
    exitProcess(code)
}

private fun ms(opt: String, v: String): Long = v.takeIf { it.matches(Regex("\\d+")) }?.toLong() ?: run {
    System.err.println("hams demo: bad $opt: $v")
    exitProcess(2)
}

/** A YAML double-quoted scalar. */
private fun quote(s: String) = buildString {
    append('"')
    for (c in s) {
        when {
            c == '"' || c == '\\' -> append('\\').append(c)
            c < ' ' || c == '\u007f' -> append("\\x%02x".format(c.code))
            else -> append(c)
        }
    }
    append('"')
}

/** Prints "stopped" and frees hams, once, whoever gets here first. */
private fun finish(hams: Hams) = synchronized(stopLock) {
    if (!stopped) {
        stopped = true
        say("stopped")
        hams.close()
    }
}

fun main(args: Array<String>) {
    var address = "0.0.0.0:8079"
    var warmupMs = 2000L
    var drainMs = 5000L
    var i = 0
    while (i < args.size) {
        val arg = args[i]
        if (arg == "--help" || arg == "-h") usage(0)
        val value = args.getOrNull(i + 1) ?: run {
            System.err.println("hams demo: unknown or incomplete option: $arg")
            usage(2)
        }
        when (arg) {
            "--address" -> address = value
            "--warmup-ms" -> warmupMs = ms(arg, value)
            "--drain-ms" -> drainMs = ms(arg, value)
            else -> {
                System.err.println("hams demo: unknown option: $arg")
                usage(2)
            }
        }
        i += 2
    }

    // The drain time is configuration: build the server from YAML.
    val hams = try {
        hamsFromYaml(
            """
            |service:
            |  name: hams-demo
            |  version: ${quote(Hams.libraryVersion())}
            |server:
            |  address: ${quote(address)}
            |shutdown:
            |  drain_ms: $drainMs
            |""".trimMargin(),
        )
    } catch (e: HamsException) {
        System.err.println("hams demo: ${e.message}")
        exitProcess(1)
    }

    val warmup = hams.manualProbe("warmup", checks = Checks.READY + Checks.STARTUP).update(false, "warming up")
    val loop = hams.kickProbe("loop", marginMs = 1000)
    hams.healthCheck("disk", intervalMs = 200, timeoutMs = 1000) { if (diskFull) "disk full (tck)" else null }
    // The kit's listener scenario: one line for each call of a status listener.
    hams.onChange { name, healthy, _ -> say("change $name ${if (healthy) "healthy" else "unhealthy"}") }
    val loops = hams.counter("demo_loops_total", "Main-loop iterations of the hams demo.")
    hams.onShutdown { say("shutdown callback ran") }
    // A vector and a histogram with the default buckets (the kit's vectors and buckets).
    val requests = hams.counterVec("tck_requests_total", "Requests of the kit.", listOf("path", "code"))
    requests["/a", "200"] += 1.0
    requests["/a", "200"] += 1.0
    requests["/b", "500"].inc(1.0, "trace_id" to "b7ad6b7169203331")
    hams.histogram("tck_latency_seconds", "Latency of the kit.")
        .observe(0.3, "trace_id" to "0af7651916cd43dd8448eb211c80319c")

    Runtime.getRuntime().addShutdownHook(
        Thread({
            try {
                if (!hams.closed) {
                    hams.shutdown()
                    hams.awaitShutdown()
                }
                finish(hams)
            } catch (e: RuntimeException) {
                System.err.println("hams demo: shutdown: ${e.message}")
            }
            System.out.flush()
            Runtime.getRuntime().halt(0)
        }, "hams-demo-shutdown"),
    )

    hams.start()
    say("serving on http://127.0.0.1:${hams.port}/hams/ready")

    thread(isDaemon = true, name = "hams-demo-stdin") {
        // End of stdin is not a command: the main loop keeps running.
        runCatching {
            System.`in`.bufferedReader().forEachLine { line ->
                when (line.trim()) {
                    "stop-kicking" -> kicking = false
                    "start-kicking" -> kicking = true
                    "fail-disk" -> diskFull = true
                    "heal-disk" -> diskFull = false
                    "invalid-call" -> try {
                        hams.manualProbe("bad name")
                        say("error: none (the invalid call succeeded)")
                    } catch (e: HamsException) {
                        say("error: ${e.message}")
                    }
                    "" -> {}
                    else -> System.err.println("hams demo: unknown command: ${line.trim()}")
                }
            }
        }
    }

    val start = System.nanoTime()
    var warmed = false
    while (true) {
        try {
            if (kicking) loop.kick()
            loops += 1.0
            if (!warmed && (System.nanoTime() - start) / 1_000_000L >= warmupMs) {
                warmup.update(true)
                warmed = true
            }
            // A shutdown started otherwise (POST /hams/shutdown) ends the demo too.
            if (hams.awaitShutdown(0)) {
                finish(hams)
                exitProcess(0)
            }
        } catch (e: HamsException) {
            // hams was closed by the shutdown hook: the JVM is halting
            if (hams.closed) return
            throw e
        }
        Thread.sleep(100)
    }
}
