// Exemplars through the Kotlin layer: `inc(v, "trace_id" to id)`, `observe(v, ...)`, seen in an
// OpenMetrics scrape of a real server on 127.0.0.1:0; a bad one throws and counts nothing.
package io.hams.kotlin

import io.hams.Hams
import io.hams.HamsException
import java.net.HttpURLConnection
import java.net.URI
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

class ExemplarTest {
    private val trace = "4bf92f3577b34da6a3ce929d0e0e4736"

    private fun Hams.metrics(accept: String? = null): String {
        val c = URI("http://127.0.0.1:$port/hams/metrics").toURL().openConnection() as HttpURLConnection
        c.setRequestProperty("Connection", "close")
        if (accept != null) c.setRequestProperty("Accept", accept)
        assertEquals(200, c.responseCode)
        val body = c.inputStream.use { it.readBytes().decodeToString() }
        c.disconnect()
        return body
    }

    private fun Hams.openMetrics() = metrics("application/openmetrics-text; version=1.0.0")

    /** `sample value # {labels} exemplarValue <timestamp>` is a line of [body]. */
    private fun assertExemplar(body: String, sample: String, value: String, labels: String, exemplarValue: String) {
        val want = "$sample $value # {$labels} $exemplarValue "
        val line = body.lines().firstOrNull { it.startsWith("$sample ") }
        assertTrue(line != null && line.startsWith(want) && line.removePrefix(want).toDoubleOrNull() != null) {
            "expected <$want<timestamp>>, got <$line> in <$body>"
        }
    }

    @Test
    fun `exemplars on counters, histograms and vector series show in OpenMetrics only`() {
        hams("kt-exemplars", "1", address = "127.0.0.1:0") { h ->
            val jobs = h.counter("jobs_total", "Jobs.")
            jobs.inc(1.0, "trace_id" to trace)
            jobs += 2.0
            h.histogram("work_seconds", "Work.").observe(0.3, "trace_id" to trace)
            val requests = h.counterVec("requests_total", "Requests.", listOf("path", "code"))
            requests["/b", "500"].inc(1.0, "trace_id" to "b7ad6b7169203331")
            h.start()
            val om = h.openMetrics()
            assertExemplar(om, "jobs_total", "3", "trace_id=\"$trace\"", "1")
            assertExemplar(om, "work_seconds_bucket{le=\"0.5\"}", "1", "trace_id=\"$trace\"", "0.3")
            assertExemplar(om, "requests_total{path=\"/b\",code=\"500\"}", "1", "trace_id=\"b7ad6b7169203331\"", "1")
            val text = h.metrics()
            assertTrue(text.contains("jobs_total 3\n")) { text }
            assertFalse(text.contains("trace_id")) { text }
        }
    }

    @Test
    fun `a bad exemplar throws HamsException and counts nothing`() {
        hams("kt-exemplars-bad", "1", address = "127.0.0.1:0") { h ->
            val jobs = h.counter("bad_total", "Bad.")
            val work = h.histogram("bad_seconds", "Bad.")
            val ok = "x".repeat(128 - "trace_id".length)
            jobs.inc(1.0, "trace_id" to ok)
            for ((labels, text) in listOf(
                arrayOf("trace_id" to ok + "x") to "128",
                arrayOf("bad name" to "v") to "bad name",
                arrayOf("1st" to "v") to "1st",
                arrayOf("a" to "1", "a" to "2") to "twice",
            )) {
                for (call in listOf({ jobs.inc(1.0, *labels) }, { work.observe(0.1, *labels) })) {
                    val e = assertThrows(HamsException::class.java) { call() }
                    assertEquals(HamsException.ERR_INVALID, e.code())
                    assertTrue(e.message!!.contains(text)) { e.message }
                }
            }
            h.start()
            val om = h.openMetrics()
            assertExemplar(om, "bad_total", "1", "trace_id=\"$ok\"", "1")
            assertTrue(om.contains("bad_seconds_count 0\n")) { om }
        }
    }
}
