// Status listeners the Kotlin way: `hams.onChange { name, healthy, reason -> }`
// is the Java method itself (a SAM conversion of io.hams.ChangeListener); this
// file adds the Change value, a blocking stream of changes, checkState with
// Checks and thresholds with named arguments.
package io.hams.kotlin

import io.hams.Hams
import io.hams.Probe
import java.util.concurrent.TimeUnit
import java.util.concurrent.locks.ReentrantLock
import kotlin.concurrent.withLock

/** A check ("alive", "ready", "startup") or a probe turned healthy or unhealthy; [reason] is "" when healthy. */
data class Change(val name: String, val healthy: Boolean, val reason: String)

/** Whether [check] (one of [Checks.ALIVE], [Checks.READY], [Checks.STARTUP]) passes now. */
fun Hams.checkState(check: Checks): Boolean = checkState(check.bits)

/**
 * Makes a manual or check probe tolerate blips: unhealthy only after [failures]
 * failed results in a row, healthy again after [successes] good ones.
 */
fun Probe.thresholds(failures: Int = 1, successes: Int = 1): Probe = setThresholds(failures, successes)

/** A status listener taking each [Change] whole. */
fun Hams.onEachChange(listener: (Change) -> Unit): Hams =
    onChange { name, healthy, reason -> listener(Change(name, healthy, reason)) }

/**
 * The changes of this server as a blocking stream, for one consumer: first
 * the current state of every probe and check, then each change. Iterating
 * waits for the next change; it ends once the stream is closed, or the
 * server is (after the changes it told). A consumer that falls behind gets the
 * latest state of each name, as hams' own listeners do, so nothing piles up.
 *
 * ```
 * thread { for (c in hams.changes()) log.info("${c.name} is ${if (c.healthy) "up" else "down: ${c.reason}"}") }
 * ```
 *
 * Not a kotlinx.coroutines `Flow`: the layer depends on the standard library
 * only. With coroutines, `flow { for (c in changes) emit(c) }.flowOn(Dispatchers.IO)`
 * makes one.
 */
fun Hams.changes(): Changes = Changes(this).also { onChange(it::offer) }

/** The stream of [Hams.changes]: iterate it, or [poll] it; [close] ends it. */
class Changes internal constructor(private val hams: Hams) : Sequence<Change>, AutoCloseable {
    private val lock = ReentrantLock()
    private val arrived = lock.newCondition()

    /** Not yet taken, the latest per name, in the order of their last change. */
    private val pending = LinkedHashMap<String, Change>()

    /** The state last taken per name: a turn and back while the consumer was away is no change. */
    private val taken = HashMap<String, Boolean>()
    private var closed = false

    internal fun offer(name: String, healthy: Boolean, reason: String) {
        lock.withLock {
            if (closed) return
            pending.remove(name)
            pending[name] = Change(name, healthy, reason)
            arrived.signalAll()
        }
    }

    /**
     * The next change, waiting at most [timeoutMs] (negative: until one
     * comes); null when none came in time, or once closed and drained.
     */
    fun poll(timeoutMs: Long = -1): Change? {
        val deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs.coerceAtLeast(0))
        lock.withLock {
            while (true) {
                val first = pending.entries.firstOrNull()
                if (first != null) {
                    pending.remove(first.key)
                    val c = first.value
                    if (taken.put(c.name, c.healthy) != c.healthy) return c
                    continue
                }
                if (closed || hams.isClosed) return null
                // In slices: the server's close is seen within 100 ms.
                val left = if (timeoutMs < 0) TimeUnit.MILLISECONDS.toNanos(100) else deadline - System.nanoTime()
                if (left <= 0) return null
                arrived.awaitNanos(minOf(left, TimeUnit.MILLISECONDS.toNanos(100)))
            }
        }
    }

    /** Waits for each change in turn; ends when closed. */
    override fun iterator(): Iterator<Change> = generateSequence { poll() }.iterator()

    /** Ends the stream at once (its listener stays until the server is closed, queueing nothing). */
    override fun close() {
        lock.withLock {
            closed = true
            pending.clear()
            arrived.signalAll()
        }
    }
}
