"""Near-duplicate clustering of an ingest run's new articles against recent stored ones."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache

from pipeline.core.record import Article
from pipeline.ingest.dedup import MinHasher, NearDupIndex, assign_signatures, signature_from_bytes, signature_to_bytes

WINDOW_DAYS = 14
THRESHOLD = 0.7

# (article id, cluster id, signature bytes) of the recently stored articles.
Recent = Callable[[], Iterable[tuple[str, str, bytes]]]


class Clusterer:
    """Holds a MinHash LSH index of recent articles for one run; assigns clusters to new ones."""

    def __init__(self, recent: Recent) -> None:
        self.hasher, self.index = MinHasher(), NearDupIndex()
        self.clusters: dict[str, str] = {}
        self._recent, self._loaded = recent, False

    def _load(self) -> None:
        """Index the recent stored articles, once, when the first new article arrives (a re-poll
        where nothing changed never pays for it): `recent` reads them only then."""
        for article_id, cluster_id, blob in self._recent():
            if article_id not in self.index:
                self.index.add(article_id, signature_from_bytes(blob))
                self.clusters[article_id] = cluster_id
        self._loaded = True

    def assign(self, articles: Sequence[Article],
               known: dict[str, bytes] | None = None) -> dict[str, tuple[str, bytes]]:
        """Article id -> (cluster id, signature bytes) for articles not indexed yet; `known`
        signatures (computed by the parser workers) are used as they are."""
        if not articles:
            return {}
        if not self._loaded:
            self._load()
        known = known or {}
        todo = [a for a in articles if a.id not in self.index]
        missing = [a for a in todo if a.id not in known]
        computed = dict(zip((a.id for a in missing), self.hasher.signatures(document_text(a) for a in missing)))
        items = [(a.id, computed[a.id] if a.id in computed else signature_from_bytes(known[a.id])) for a in todo]
        clusters = assign_signatures(items, self.index, self.clusters, THRESHOLD)
        return {aid: (clusters[aid], signature_to_bytes(self.index.signature(aid))) for aid, _ in items}


def document_text(article: Article) -> str:
    """What near-duplicate detection compares."""
    return f"{article.title}\n{article.text}"


@lru_cache(maxsize=1)
def _hasher() -> MinHasher:
    """One MinHasher per process."""
    return MinHasher()


def signatures_of(articles: Sequence[Article]) -> dict[str, bytes]:
    """Signature bytes of articles, keyed by id (run where the articles are parsed)."""
    sigs = _hasher().signatures(document_text(a) for a in articles)
    return {a.id: signature_to_bytes(sig) for a, sig in zip(articles, sigs)}
