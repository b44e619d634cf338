"""asyncio: wait_async and shutdown callbacks run on the event loop's thread."""

from __future__ import annotations

import asyncio
import threading
import time
import unittest

from _support import TestCase, http_get

import hams

CONFIG = "service: {name: s, version: '1'}\nserver: {address: '127.0.0.1:0'}\nshutdown: {drain_ms: 300}\n"


class AsyncioTest(TestCase):
    def test_wait_async_times_out_then_sees_the_shutdown(self) -> None:
        async def main() -> None:
            with hams.Hams.from_yaml(CONFIG) as h:
                t0 = time.monotonic()
                self.assertFalse(await h.wait_async(0.1))
                self.assertGreaterEqual(time.monotonic() - t0, 0.09)
                ticks = 0

                async def ticker() -> None:  # the loop keeps running meanwhile
                    nonlocal ticks
                    while True:
                        ticks += 1
                        await asyncio.sleep(0.01)

                task = asyncio.ensure_future(ticker())
                h.shutdown()
                self.assertEqual(http_get(h.port, "/hams/ready")[0], 503)
                self.assertTrue(await h.wait_async(5))
                self.assertGreaterEqual(time.monotonic() - t0, 0.3)  # after the drain
                self.assertGreater(ticks, 5)
                task.cancel()

        asyncio.run(main())

    def test_wait_async_can_be_cancelled(self) -> None:
        async def main() -> None:
            with hams.Hams.from_yaml(CONFIG) as h:
                with self.assertRaises(asyncio.TimeoutError):
                    await asyncio.wait_for(h.wait_async(), 0.1)

        asyncio.run(main())

    def test_on_shutdown_async_runs_on_the_loop_thread(self) -> None:
        seen = []

        async def main() -> None:
            loop_thread = threading.get_ident()
            with hams.Hams.from_yaml(CONFIG) as h:

                @h.on_shutdown_async
                async def closing() -> None:
                    await asyncio.sleep(0.05)
                    seen.append(("coroutine", threading.get_ident() == loop_thread))

                h.on_shutdown_async(lambda: seen.append(("function", threading.get_ident() == loop_thread)))
                h.on_shutdown(lambda: seen.append(("hams thread", threading.get_ident() != loop_thread)))
                h.shutdown()
                self.assertTrue(await h.wait_async(5))

        asyncio.run(main())
        self.assertEqual(seen, [("coroutine", True), ("function", True), ("hams thread", True)])

    def test_on_shutdown_async_needs_a_loop_and_a_callable(self) -> None:
        with hams.Hams("s", "1") as h:
            with self.assertRaises(RuntimeError):
                h.on_shutdown_async(lambda: None)  # no running loop
            with self.assertRaises(TypeError):
                h.on_shutdown_async(42, loop=asyncio.new_event_loop())  # type: ignore[arg-type]


if __name__ == "__main__":
    unittest.main()
