"""Spectral clustering of voice embeddings, and the speaker count from the eigengap.

The affinity graph keeps a fixed number of neighbours per window (not a
fraction of all windows: a fraction grows with the file and joins every
window to every other in a long episode, which then comes out as one voice).
Which fixed number is tried from a short list (10 to 320): the one whose graph
shows the clearest eigengap wins. Ten suits a half-minute clip; in a long file
ten neighbours are all from the same minute of the same voice, the graph falls
apart into dozens of near-components and the eigengap means nothing (measured
on a 5-minute two-voice file: 7 "speakers" with 10 neighbours, 2 with 80; a 25-minute one needed 320).
At most ``MAX_CLUSTERED`` windows are clustered (the affinity matrix is
quadratic in them); every window is then given its nearest speaker centroid.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

NEIGHBOURS = (10, 20, 40, 80, 160, 320)  # per window in the affinity graph, tried in turn
# The smallest eigengap that counts as two or more speakers. Measured: real two-voice files 0.19-0.29,
# a tiled 25-minute two-voice file 0.24 (with 320 neighbours); spurious splits 0.001-0.08.
MIN_GAP = 0.1
MIN_SHARE = 4  # a neighbour count is tried only while a window has this many times more windows than it
MAX_CLUSTERED = 2000  # windows in the affinity matrix: 2,000^2 float64 is 32 MiB
REASSIGN_ROUNDS = 3
SEED = 0


def unit_rows(x: NDArray[np.float32]) -> NDArray[np.float32]:
    """Each row scaled to length 1 (a zero row stays zero)."""
    import numpy as np

    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return np.asarray(x / np.maximum(norms, 1e-12), dtype=np.float32)


def _affinity(x: NDArray[np.float32], neighbours: int) -> NDArray[np.float64]:
    """Cosine affinity pruned to each row's ``neighbours`` nearest windows (binarised), symmetrised."""
    import numpy as np

    similarity = x.astype(np.float64) @ x.T.astype(np.float64)
    keep = min(neighbours, len(x) - 1)
    nearest = np.argpartition(-similarity, keep, axis=1)[:, : keep + 1]  # the window itself among them
    graph = np.zeros_like(similarity)
    np.put_along_axis(graph, nearest, 1.0, axis=1)
    return 0.5 * (graph + graph.T)


def _spectrum(affinity: NDArray[np.float64], k_max: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The smallest ``k_max + 1`` eigenvalues (and vectors) of the normalised graph Laplacian."""
    import numpy as np
    from scipy.linalg import eigh

    degree = affinity.sum(axis=1)
    scale = 1.0 / np.sqrt(np.maximum(degree, 1e-12))
    laplacian = np.eye(len(affinity)) - scale[:, None] * affinity * scale[None, :]
    top = min(k_max, len(affinity) - 1)
    values, vectors = eigh(laplacian, subset_by_index=[0, top])
    return values, vectors


def eigengap_count(values: NDArray[np.float64], k_max: int) -> int:
    """The number of clusters the eigenvalues suggest: where the gap between consecutive ones is largest."""
    import numpy as np

    gaps = np.diff(values[: k_max + 1])
    return int(np.argmax(gaps)) + 1 if gaps.size else 1


def _kmeans(points: NDArray[np.float64], k: int) -> NDArray[np.intp]:
    """k-means with a fixed seed (k-means++ starts): the same labels every run."""
    from scipy.cluster.vq import kmeans2

    best: tuple[float, NDArray[np.intp]] | None = None
    for attempt in range(5):
        centroids, labels = kmeans2(points, k, minit="++", seed=SEED + attempt)
        inertia = float(((points - centroids[labels]) ** 2).sum())
        if best is None or inertia < best[0]:
            best = (inertia, labels)
    assert best is not None
    return best[1]


def centroids_of(x: NDArray[np.float32], labels: NDArray[np.intp], k: int) -> NDArray[np.float32]:
    """The unit mean embedding of each label 0..k-1 (a label with no window gets a zero row)."""
    import numpy as np

    sums = np.zeros((k, x.shape[1]), dtype=np.float64)
    np.add.at(sums, labels, x)
    return unit_rows(sums.astype(np.float32))


def nearest(x: NDArray[np.float32], centroids: NDArray[np.float32]) -> NDArray[np.intp]:
    """The index of each row's most similar centroid (cosine)."""
    import numpy as np

    return np.asarray(np.argmax(x @ centroids.T, axis=1), dtype=np.intp)


def _best_graph(x: NDArray[np.float32], count: int | None, k_max: int) -> tuple[int, NDArray[np.float64]]:
    """(speaker count, spectral embedding) from the neighbour count whose eigengap is the clearest.

    ``count`` None: the largest gap among the graphs that see two or more
    speakers wins, if it is at least MIN_GAP; else one speaker. (Comparing a
    "one speaker" gap with the others would favour dense graphs, in which
    every voice blurs into one.) ``count`` given: the gap after the
    ``count``-th eigenvalue is compared.
    """
    best: tuple[float, int, NDArray[np.float64]] | None = None
    for neighbours in NEIGHBOURS:
        if neighbours > NEIGHBOURS[0] and neighbours * MIN_SHARE > len(x):
            break
        values, vectors = _spectrum(_affinity(x, neighbours), k_max)
        k = max(1, min(count if count is not None else eigengap_count(values, k_max), len(values) - 1))
        gap = float(values[k] - values[k - 1]) if len(values) > k else 0.0
        if (count is not None or k > 1) and (best is None or gap > best[0]):
            best = (gap, k, vectors)
    if best is None or (count is None and best[0] < MIN_GAP):
        return 1, x.astype("float64")
    return best[1], best[2]


def spectral_labels(x: NDArray[np.float32], *, count: int | None, max_speakers: int) -> NDArray[np.intp]:
    """A cluster label per row of ``x`` (unit embeddings); ``count`` None: found from the eigengap."""
    import numpy as np

    n = len(x)
    if n < 2 or count == 1:  # noqa: PLR2004  (one window, or one speaker asked for)
        return np.zeros(n, dtype=np.intp)
    picked = np.unique(np.linspace(0, n - 1, min(n, MAX_CLUSTERED)).round().astype(np.intp))
    k, vectors = _best_graph(x[picked], count, max_speakers)
    if k <= 1:
        return np.zeros(n, dtype=np.intp)
    labels = _kmeans(unit_rows(vectors[:, :k].astype(np.float32)).astype(np.float64), k)
    centroids = centroids_of(x[picked], labels, k)
    every = nearest(x, centroids)
    for _ in range(REASSIGN_ROUNDS):  # centroid reassignment over every window, not only the clustered ones
        centroids = centroids_of(x, every, k)
        every = nearest(x, centroids)
    return every
