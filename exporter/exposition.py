"""The cached dataset exposition served on /metrics: rendered once per snapshot change, kept
as chunks of text and as the open start of a gzip stream, so a scrape only appends the live
tail.

The dataset part changes a few times a day; a scrape must not pay for its 10 MB. What a scrape
sends is buffers built before it: the chunks (or the gzip start), then the self-metrics.
The chunks are never joined into one 10 MB object: each view's lines are held once, shared
between renderings, and the socket gathers them (exporter.httpd).
"""

from __future__ import annotations

import struct
import threading
import time
import zlib
from collections.abc import Mapping

from exporter.collector import MetaCollector
from exporter.config import Config
from exporter.datasets import REGISTRY, sources
from exporter.metrictext import Family
from exporter.snapshot import Snapshot
from exporter.viewstatus import Key
from exporter.watchlist import WatchCollector

TEXT_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
OPENMETRICS_CONTENT_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8"
GZIP_LEVEL = 6  # level 9 costs ~2x the CPU for ~1% smaller output
TAIL_GZIP_LEVEL = 1  # the 50 KB tail: 5x faster than level 6 for 8% more of ~3 KB
Encoded = dict[str, bytes]  # family name -> one view's sample lines, UTF-8


class DatasetExposition:
    """Assembles the dataset exposition from per-view fragments.

    A fragment is rendered once per snapshot (kept while the snapshot object is unchanged),
    so applying one refreshed view re-renders that view only and reuses the rest.
    """

    def __init__(self, cfg: Config) -> None:
        # Families in a fixed order: each dataset's (by dataset name), the freshness and
        # citation ones, each dataset's config-level ones, the watch lists.
        self.by_dataset = {name: REGISTRY[name].collector(cfg) for name in sorted(REGISTRY)}
        self.meta = MetaCollector(
            (d.name, d.as_of_from, d.end_date_from) for d in REGISTRY.values()
        )
        self.watch = WatchCollector(cfg)
        collectors = list(self.by_dataset.values())
        self.families: list[Family] = [
            *(f for c in collectors for f in c.families),
            *self.meta.families,
            *(f for c in collectors for f in c.info_families),
            *WatchCollector.families,
        ]
        self._fragments: dict[Key, tuple[Snapshot, Encoded]] = {}

    def _fragment(self, snap: Snapshot) -> Encoded:
        cached = self._fragments.get(snap.key)
        if cached is not None and cached[0] is snap:
            return cached[1]
        collector = self.by_dataset.get(snap.dataset)
        text = collector.render(snap) if collector else {}
        text.update(self.meta.render(snap))
        # Kept as UTF-8 bytes: one emoji in a str makes CPython store all of it at 4 bytes
        # a character, and the joined exposition with it.
        fragment: Encoded = {name: lines.encode("utf-8") for name, lines in text.items()}
        self._fragments[snap.key] = (snap, fragment)
        return fragment

    def render(self, snapshots: Mapping[Key, Snapshot]) -> list[bytes]:
        """The exposition as chunks in order: each family's header, then its lines per view."""
        keys = sorted(snapshots)
        fragments = [self._fragment(snapshots[k]) for k in keys]
        for stale in set(self._fragments) - set(keys):
            del self._fragments[stale]
        static = self.meta.static(sources(k[0] for k in keys)) | self.watch.render(snapshots)
        for collector in self.by_dataset.values():
            static |= collector.info()
        fragments.append({name: lines.encode("utf-8") for name, lines in static.items()})
        chunks = []
        for fam in self.families:
            chunks.append(fam.header().encode("utf-8"))
            chunks.extend(f[fam.name] for f in fragments if f.get(fam.name))
        return chunks


class GzipStart:
    """The cached chunks as the open start of a gzip stream.

    A response must be one gzip member: many clients (httpx, curl, some browsers) decode only
    the first. The text is compressed once, up to a sync flush (a byte boundary, no final
    block); each scrape appends its tail compressed on its own as raw deflate blocks, then
    the gzip trailer (CRC-32 and length of the whole). Deflate allows that: the tail's
    back-references stay inside the tail, and the decoder's window holds the text before
    it. Per scrape that costs a compression of the tail only, never a copy of the start.
    """

    def __init__(self, chunks: list[bytes]) -> None:
        compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        out = [compressor.compress(chunk) for chunk in chunks]
        out.append(compressor.flush(zlib.Z_SYNC_FLUSH))
        self.start = b"".join(out)
        self.crc = 0
        for chunk in chunks:
            self.crc = zlib.crc32(chunk, self.crc)
        self.size = sum(len(chunk) for chunk in chunks)

    def finish(self, tail: bytes) -> bytes:
        """The rest of the stream after ``start``: ``tail`` compressed, then the trailer."""
        compressor = zlib.compressobj(TAIL_GZIP_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
        blocks = compressor.compress(tail) + compressor.flush(zlib.Z_FINISH)
        crc = zlib.crc32(tail, self.crc)
        return blocks + struct.pack("<II", crc, (self.size + len(tail)) & 0xFFFFFFFF)


class Rendered:
    """One consistent rendering of the dataset part, plain and gzip.

    The gzip start is built by the first scrape that asks for it and kept: views refresh in
    bursts of many snapshots, and compressing after each one would be wasted work.
    """

    def __init__(self, chunks: list[bytes]) -> None:
        # Valid as the text format and, before its # EOF, as OpenMetrics.
        self.chunks = chunks
        self.created = time.monotonic()
        self._gz: GzipStart | None = None
        self._lock = threading.Lock()
        # The last tails and their compressed ends: self-metrics renderings are reused for
        # up to a second (one per format), and so is their compression.
        self._finished: list[tuple[bytes, bytes]] = []

    @property
    def gz(self) -> GzipStart:
        if self._gz is None:
            with self._lock:  # one scraper compresses, the others wait for it
                if self._gz is None:
                    self._gz = GzipStart(self.chunks)
        return self._gz

    @property
    def text(self) -> bytes:
        """The chunks joined (a 10 MB copy at the maximal config: for tests and tools)."""
        return b"".join(self.chunks)

    def parts(self, gz: bool, tail: bytes = b"") -> list[bytes]:
        """The response body as buffers to send in order: the cached part, then ``tail``
        (the live self-metrics, in either format). Nothing large is copied."""
        if not gz:
            return [*self.chunks, tail]
        start = self.gz
        finished = self._finished
        for seen, end in finished:
            if seen is tail:
                return [start.start, end]
        end = start.finish(tail)
        self._finished = [*finished[-1:], (tail, end)]
        return [start.start, end]

    def body(self, gz: bool, tail: bytes = b"") -> bytes:
        """The whole body as one bytes object (a copy: for tests and tools, not scrapes)."""
        return b"".join(self.parts(gz, tail))


class ExpositionCache:
    """Holds the pre-rendered dataset exposition; swapped whole, so a scrape never sees a
    mix of two snapshot sets."""

    def __init__(self, cfg: Config) -> None:
        self._exposition = DatasetExposition(cfg)
        self._lock = threading.Lock()  # guards the exposition's per-view fragment cache
        self.current = Rendered(self._exposition.render({}))

    def update(self, snapshots: Mapping[Key, Snapshot]) -> None:
        with self._lock:
            # One reference assignment: readers get the old rendering or the new one.
            self.current = Rendered(self._exposition.render(snapshots))
