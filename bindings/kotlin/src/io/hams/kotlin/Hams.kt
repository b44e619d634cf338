// An idiomatic Kotlin layer over the Java module io.hams: scopes with `use`,
// properties, lambdas for checks and named arguments with defaults. It only
// calls the Java API, so it needs no FFM of its own.
package io.hams.kotlin

import io.hams.Check
import io.hams.Hams
import io.hams.HamsException
import io.hams.Metric
import io.hams.MetricVec
import io.hams.Probe
import java.nio.file.Path

/** Which probe endpoints a probe takes part in; combine with `+`. */
@JvmInline
value class Checks(val bits: Int) {
    operator fun plus(other: Checks) = Checks(bits or other.bits)

    companion object {
        val ALIVE = Checks(Hams.ALIVE)
        val READY = Checks(Hams.READY)
        val STARTUP = Checks(Hams.STARTUP)
    }
}

/** This layer's version: the hams release it is part of. */
const val VERSION: String = Hams.VERSION

/** "Kotlin 2.4.20 (Java 25.0.1 (OpenJDK 64-Bit Server VM))": the runtime named in /hams/version. */
val kotlinRuntime: String
    get() = "Kotlin ${KotlinVersion.CURRENT} (${Hams.javaRuntime()})"

/** Names Kotlin and hams-kotlin in /hams/version, where Java named itself. */
fun Hams.asKotlin(): Hams = setRuntime(kotlinRuntime, "hams-kotlin", VERSION)

/** A stopped hams server (on 0.0.0.0:8079 unless [address] is given). */
fun newHams(service: String, version: String, address: String? = null): Hams =
    (if (address == null) Hams(service, version) else Hams(service, version, address)).closeOnError { it.asKotlin() }

/** A new hams server, closed at the end of [block] (`use`). */
inline fun <R> hams(service: String, version: String, address: String? = null, block: (Hams) -> R): R =
    newHams(service, version, address).use(block)

/** A hams server from YAML configuration (hams_new_from_yaml). */
fun hamsFromYaml(yaml: String): Hams = Hams.fromYaml(yaml).closeOnError { it.asKotlin() }

/** A hams server from a YAML file. */
fun hamsFromFile(file: Path): Hams = Hams.fromFile(file).closeOnError { it.asKotlin() }

private inline fun Hams.closeOnError(block: (Hams) -> Hams): Hams = try {
    block(this)
} catch (e: RuntimeException) {
    close()
    throw e
}

/** The bound port once started. */
val Hams.port: Int
    get() = port()

/** Whether [Hams.close] has run. */
val Hams.closed: Boolean
    get() = isClosed

/** A manual probe, unhealthy until set unless [healthy]. */
fun Hams.manualProbe(name: String, checks: Checks = Checks.READY, healthy: Boolean = false): Probe =
    probeManual(name, checks.bits, healthy)

/** A probe that fails when not kicked for [marginMs]. */
fun Hams.kickProbe(name: String, marginMs: Long, checks: Checks = Checks.ALIVE): Probe =
    probeKick(name, checks.bits, marginMs)

/**
 * A check run on a hams thread every [intervalMs]: [body] returns null when
 * healthy, else the reason it is not; an exception is the reason too.
 */
fun Hams.healthCheck(
    name: String,
    checks: Checks = Checks.READY,
    intervalMs: Long = 5000,
    timeoutMs: Long = 1000,
    body: () -> String?,
): Probe = check(name, checks.bits, Check { body()?.let { Check.Result.unhealthy(it) } ?: Check.Result.healthy() },
    intervalMs, timeoutMs)

/** Sets a manual probe's state, with a reason shown while unhealthy. */
fun Probe.update(healthy: Boolean, reason: String? = null): Probe =
    if (reason == null) set(healthy) else set(healthy, reason)

fun Hams.counter(name: String, help: String, vararg labels: Pair<String, String>): Metric.Counter =
    if (labels.isEmpty()) counter(name, help) else counter(name, help, linkedMapOf(*labels))

fun Hams.gauge(name: String, help: String, vararg labels: Pair<String, String>): Metric.Gauge =
    if (labels.isEmpty()) gauge(name, help) else gauge(name, help, linkedMapOf(*labels))

/** A histogram; without [buckets], Prometheus' default buckets. */
fun Hams.histogram(name: String, help: String, buckets: List<Double>? = null): Metric.Histogram =
    if (buckets == null) histogram(name, help) else histogram(name, help, buckets.toDoubleArray())

fun Hams.counterVec(name: String, help: String, labelNames: List<String>): MetricVec.CounterVec =
    counterVec(name, help, *labelNames.toTypedArray())

fun Hams.gaugeVec(name: String, help: String, labelNames: List<String>): MetricVec.GaugeVec =
    gaugeVec(name, help, *labelNames.toTypedArray())

/** A histogram vector; without [buckets], Prometheus' default buckets. */
fun Hams.histogramVec(name: String, help: String, labelNames: List<String>, buckets: List<Double>? = null) =
    if (buckets == null) histogramVec(name, help, *labelNames.toTypedArray())
    else histogramVec(name, help, buckets.toDoubleArray(), *labelNames.toTypedArray())

/** One series of a vector: `requests["/", "200"].inc()`. */
operator fun <M : Metric> MetricVec<M>.get(vararg values: String): M = labels(*values)

/** `jobs += 2.0` */
operator fun Metric.Counter.plusAssign(v: Double) {
    inc(v)
}

/** `queue += 1.0`, `queue -= 1.0` */
operator fun Metric.Gauge.plusAssign(v: Double) {
    add(v)
}

operator fun Metric.Gauge.minusAssign(v: Double) {
    add(-v)
}

/**
 * Adds [v] with an exemplar: `requests["/", "200"].inc(1.0, "trace_id" to traceId)`; it becomes the
 * counter's latest, shown in the OpenMetrics exposition. A bad exemplar (over 128 characters in all, an
 * invalid or repeated name) throws HamsException (ERR_INVALID) and counts nothing.
 */
fun Metric.Counter.inc(v: Double, vararg exemplar: Pair<String, String>): Metric.Counter = inc(v, exemplarMap(exemplar))

/** Records [v] with an exemplar (as [inc]): the latest of the bucket [v] falls in. */
fun Metric.Histogram.observe(v: Double, vararg exemplar: Pair<String, String>): Metric.Histogram =
    observe(v, exemplarMap(exemplar))

/** The pairs in their order; a repeated name is hams' error, as a Map would silently keep one. */
private fun exemplarMap(pairs: Array<out Pair<String, String>>): Map<String, String> {
    val map = linkedMapOf(*pairs)
    if (map.size != pairs.size) {
        val name = pairs.groupBy { it.first }.entries.first { it.value.size > 1 }.key
        throw HamsException("exemplar label name \"$name\" is given twice", HamsException.ERR_INVALID, null)
    }
    return map
}

/** Times [block] into the histogram, in seconds. */
inline fun <R> Metric.Histogram.time(block: () -> R): R {
    val start = System.nanoTime()
    try {
        return block()
    } finally {
        observe((System.nanoTime() - start) / 1e9)
    }
}

/** The text appended to each scrape (null removes it). */
fun Hams.metricsCallback(fn: (() -> String)?): Hams = setMetricsCallback(fn?.let { f -> java.util.function.Supplier { f() } })

/** Waits for the shutdown sequence; a negative [timeoutMs] waits for ever. */
fun Hams.awaitShutdown(timeoutMs: Long = -1): Boolean = waitFor(timeoutMs)
