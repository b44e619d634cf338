// Tests of status listeners, the stream of changes, checkState and thresholds
// in the Kotlin layer (JUnit 5, over real servers): bindings/kotlin/run.sh.
package io.hams.kotlin

import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit
import kotlin.concurrent.thread
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

class ChangesTest {
    private fun <T> LinkedBlockingQueue<T>.next(n: Int): List<T> =
        List(n) { poll(5, TimeUnit.SECONDS) ?: throw AssertionError("no change within 5 s (had $it)") }

    @Test
    fun `onChange with a lambda of name, healthy, reason`() {
        hams("kt-test", "1.0.0", address = "127.0.0.1:0") { h ->
            val db = h.manualProbe("db").update(false, "connecting")
            val lines = LinkedBlockingQueue<String>()
            h.onChange { name, healthy, reason -> lines.add("$name $healthy $reason".trim()) }
            assertEquals(listOf("db false connecting", "alive true", "ready false probe db: connecting", "startup true"),
                lines.next(4))
            db.update(true)
            assertEquals(listOf("db true", "ready true"), lines.next(2))
            db.update(false, "down")
            assertEquals(listOf("db false down", "ready false probe db: down"), lines.next(2))
        }
    }

    @Test
    fun `onEachChange takes a Change`() {
        hams("kt-test", "1.0.0", address = "127.0.0.1:0") { h ->
            val changes = LinkedBlockingQueue<Change>()
            h.onEachChange { changes.add(it) }
            assertEquals(Change("alive", true, ""), changes.next(1)[0])
            assertEquals(listOf("ready", "startup"), changes.next(2).map { it.name })
        }
    }

    @Test
    fun `changes() - a blocking sequence that ends with the server`() {
        val h = newHams("kt-test", "1.0.0", address = "127.0.0.1:0")
        val disk = h.manualProbe("disk", healthy = true)
        val seen = LinkedBlockingQueue<Change>()
        val consumer = thread { for (c in h.changes()) seen.add(c) }
        assertEquals(listOf("disk", "alive", "ready", "startup"), seen.next(4).map { it.name })
        disk.update(false, "disk full")
        assertEquals(listOf(Change("disk", false, "disk full"), Change("ready", false, "probe disk: disk full")),
            seen.next(2))
        disk.update(true)
        assertEquals(listOf(Change("disk", true, ""), Change("ready", true, "")), seen.next(2))
        h.close()
        consumer.join(2000)
        assertFalse(consumer.isAlive, "the sequence ended when the server was closed")
    }

    @Test
    fun `changes() - a consumer that falls behind gets the latest state per name`() {
        hams("kt-test", "1.0.0", address = "127.0.0.1:0") { h ->
            val disk = h.manualProbe("disk", healthy = true)
            val db = h.manualProbe("db", healthy = true)
            h.changes().use { changes ->
                assertEquals(5, generateSequence { changes.poll(5000) }.take(5).count(), "first states")
                // Turns and back while nobody looks: no change at all.
                repeat(5) {
                    disk.update(false, "blip")
                    disk.update(true)
                }
                Thread.sleep(300) // hams' listener has told them all
                // A turn that stays: told once, with its first reason.
                db.update(false, "first")
                Thread.sleep(300)
                db.update(false, "second") // a new reason alone: no change
                assertEquals(Change("db", false, "first"), changes.poll(5000))
                assertEquals(Change("ready", false, "probe db: first"), changes.poll(5000))
                assertNull(changes.poll(300), "nothing else")
            }
        }
    }

    @Test
    fun `changes() - closing the stream ends it at once`() {
        hams("kt-test", "1.0.0", address = "127.0.0.1:0") { h ->
            val changes = h.changes()
            val ended = LinkedBlockingQueue<Int>()
            val consumer = thread { ended.add(changes.count()) }
            Thread.sleep(200)
            changes.close()
            assertTrue(ended.poll(2, TimeUnit.SECONDS) != null, "the iteration ended")
            consumer.join()
            assertNull(changes.poll(0))
        }
    }

    @Test
    fun `checkState with Checks and thresholds with named arguments`() {
        hams("kt-test", "1.0.0", address = "127.0.0.1:0") { h ->
            val db = h.manualProbe("db", checks = Checks.READY + Checks.STARTUP, healthy = true).thresholds(failures = 2)
            assertTrue(h.checkState(Checks.ALIVE) && h.checkState(Checks.READY) && h.checkState(Checks.STARTUP))
            db.update(false, "blip")
            assertTrue(h.checkState(Checks.READY), "one failure is a blip")
            db.update(false, "down")
            assertFalse(h.checkState(Checks.READY), "two in a row")
            db.update(true)
            assertTrue(h.checkState(Checks.READY), "successes default to 1")
            assertTrue(runCatching { h.checkState(Checks.ALIVE + Checks.READY) }.isFailure, "one check at a time")
        }
    }
}
