"""Near-duplicate clustering of an ingest run's new articles against recent stored ones."""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.dedup import MinHasher, NearDupIndex, assign_clusters, signature_from_bytes, signature_to_bytes
from pipeline.record import Article
from pipeline.store import Store

WINDOW_DAYS = 14
THRESHOLD = 0.7


class Clusterer:
    """Holds a MinHash LSH index of recent articles for one run; assigns clusters to new ones."""

    def __init__(self, store: Store, days: int = WINDOW_DAYS) -> None:
        self.hasher, self.index = MinHasher(), NearDupIndex()
        self.clusters: dict[str, str] = {}
        for article_id, cluster_id, blob in store.recent_signatures(days):
            self.index.add(article_id, signature_from_bytes(blob))
            self.clusters[article_id] = cluster_id

    def assign(self, articles: Sequence[Article]) -> dict[str, tuple[str, bytes]]:
        """Article id -> (cluster id, signature bytes) for articles not indexed yet."""
        items = [(a.id, f"{a.title}\n{a.text}") for a in articles if a.id not in self.index]
        clusters = assign_clusters(items, self.index, self.hasher, self.clusters, THRESHOLD)
        return {aid: (clusters[aid], signature_to_bytes(self.index.signature(aid))) for aid, _ in items}
