"""Registry of the public datasets spepred learns from, and their checked retrieval.

Each source is pinned to an upstream commit and a SHA-256. Retrieval looks first in the
mirror directory named by ``SPEPRED_DATA_MIRROR`` (CI and offline machines), then in the
user cache, and only then downloads (with :mod:`pooch`, which checks the hash). A file
whose hash does not match is refused with a message that says so.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from spepred.cache import default_cache_root
from spepred.errors import ChecksumError, DataSourceError
from spepred.files import sha256_file

log = logging.getLogger(__name__)

MIRROR_ENV = "SPEPRED_DATA_MIRROR"
#: Upstream URL pattern (raw file at a pinned commit).
URL_PATTERN = "https://raw.githubusercontent.com/{repo}/{commit}/{path}"


@dataclass(frozen=True)
class Source:
    """One upstream file, pinned."""

    key: str
    repo: str
    commit: str
    path: str
    sha256: str
    license: str
    citation: str
    local_path: str  # path inside a mirror directory
    role: str  # "primary" (experimental labels), "auxiliary" (simulated/computed), "library",
    # "lookup" (a table another source's converter reads)

    @property
    def url(self) -> str:
        return URL_PATTERN.format(repo=self.repo, commit=self.commit, path=self.path)


_BRADFORD = (
    "G. Bradford, J. Lopez, J. Ruza, M. A. Stolberg, R. Osterude, J. A. Johnson, "
    "R. Gomez-Bombarelli, Y. Shao-Horn, Chemistry-Informed Machine Learning for Polymer "
    "Electrolyte Discovery, ACS Cent. Sci. 2023, 9, 206-216, doi:10.1021/acscentsci.2c01123"
)

_HATAKEYAMA = (
    "K. Hatakeyama-Sato et al., J. Am. Chem. Soc. 2020, doi:10.1021/jacs.9b11442; database of "
    "the authors' ion_predictor repository"
)

SOURCES: dict[str, Source] = {
    s.key: s
    for s in (
        Source(
            key="bradford2023",
            repo="learningmatter-mit/Chem-prop-pred",
            commit="735378dd7d962f4a583f3364511045a1f6b1f4ef",
            path="data/clean_train_data.csv",
            sha256="6b6de5979e2b0fe592e9c75b98cdccc6a77c579bd9332e3633301f6f6392ca74",
            license="MIT",
            citation=_BRADFORD,
            local_path="bradford2023/clean_train_data.csv",
            role="primary",
        ),
        Source(
            key="polyinfo_candidates",
            repo="learningmatter-mit/Chem-prop-pred",
            commit="735378dd7d962f4a583f3364511045a1f6b1f4ef",
            path="data/PolyInfo_8salts.csv",
            sha256="513ff77abd8f7fb891b3b636d14b2ec6857180660dfee6bbd0dc0c167085dfea",
            license="MIT",
            citation=_BRADFORD,
            local_path="bradford2023/PolyInfo_8salts.csv",
            role="library",
        ),
        Source(
            key="htpmd2022",
            repo="TRI-AMDD/htp_md",
            commit="5d7b02f32319c01e215dd42cfa735eed02d129ba",
            path="htpmd/ml_models/md_wo_structure_cleaned_0_1_4.csv",
            sha256="ce3691a45c5808e9f9d32ed3acaa3716c3d6d03e2dd908cc9a01901b3f5a2546",
            license="MIT",
            citation=(
                "T. Xie et al., Accelerating amorphous polymer electrolyte screening by learning "
                "to reduce errors in molecular dynamics simulated properties, Nat. Commun. 13, "
                "3415 (2022)"
            ),
            local_path="htpmd2022/md_wo_structure_cleaned_0_1_4.csv",
            role="auxiliary",
        ),
        Source(
            key="radonpy_pi1070",
            repo="RadonPy/RadonPy",
            commit="c9d52bcafc05c1083acb593895e9573868538961",
            path="data/PI1070.csv",
            sha256="4ee41d526db3d03eb5b83010672b4e63a4d51a114871a2187ca7fd57d30556a4",
            license="BSD-3-Clause",
            citation=(
                "Y. Hayashi, J. Shiomi, J. Morikawa, R. Yoshida, RadonPy: automated physical "
                "property calculation using all-atom classical molecular dynamics simulations "
                "for polymer informatics, npj Comput. Mater. 8, 222 (2022)"
            ),
            local_path="radonpy_pi1070/PI1070.csv",
            role="auxiliary",
        ),
        Source(
            key="hatakeyama2022",
            repo="KanHatakeyama/ion_predictor",
            commit="ca7a971bfab4f25f9b832cd547f7547c3475042a",
            path="database/Composite-2022-03-16-1.csv",
            sha256="40a4d0a483247727f0a575604d2478d5b3d8e114ecaf19061a048aef2045d8f2",
            license="MIT",
            citation=_HATAKEYAMA,
            local_path="hatakeyama2022/Composite-2022-03-16-1.csv",
            role="primary",
        ),
        Source(
            key="hatakeyama2022_chemicals",
            repo="KanHatakeyama/ion_predictor",
            commit="ca7a971bfab4f25f9b832cd547f7547c3475042a",
            path="database/Chemical-2022-03-16.csv",
            sha256="3786b570131a30badf1c1f4f40a8583743f808cb8fb42d1478f2324e35b85bda",
            license="MIT",
            citation=_HATAKEYAMA,
            local_path="hatakeyama2022/Chemical-2022-03-16.csv",
            role="lookup",
        ),
        Source(
            key="polymetrix_tg",
            repo="lamalab-org/PolyMetriX",
            commit="7355266b0859e0cb597cf1947b1a5d677596e852",
            path="data/Polymer_Tg.csv",
            sha256="89c500a8df1381c855e691c75849ee6c6e7a19f20a62efc35f7d57e85fc8184a",
            license="MIT",
            citation=(
                "S. Kunchapu, K. M. Jablonka, PolyMetriX: An Ecosystem for Digital Polymer "
                "Chemistry, ChemRxiv 2025, doi:10.26434/chemrxiv-2025-s2f2r (curated "
                "experimental glass transition temperatures)"
            ),
            local_path="polymetrix_tg/Polymer_Tg.csv",
            role="auxiliary",
        ),
    )
}


#: the one file hash of spepred, under the name this module's callers use
sha256_of = sha256_file


def cache_dir() -> Path:
    """Where downloads are cached: ``$SPEPRED_CACHE_DIR/downloads`` or the OS user cache."""
    return default_cache_root() / "downloads"


def mirror_dir() -> Path | None:
    env = os.environ.get(MIRROR_ENV)
    return Path(env).expanduser() if env else None


def fetch(key: str, *, download: bool = True) -> Path:
    """Local path of source ``key``, hash-checked: mirror, then cache, then download.

    Raises
    ------
    ChecksumError
        A mirror file or a download whose SHA-256 does not match (truncated, altered).
    DataSourceError
        Unknown key; a download that fails (offline).
    """
    if key not in SOURCES:
        raise DataSourceError(f"unknown data source {key!r}; known: {', '.join(SOURCES)}")
    src = SOURCES[key]
    mirror = mirror_dir()
    if mirror is not None:
        candidate = mirror / src.local_path
        if candidate.is_file():
            digest = sha256_of(candidate)
            if digest != src.sha256:
                raise ChecksumError(
                    f"{key}: {candidate} has SHA-256 {digest}, expected {src.sha256} "
                    "(corrupted or different version; refusing it)"
                )
            log.debug("%s: using mirror %s", key, candidate)
            return candidate
    cached = cache_dir() / key / Path(src.path).name
    if cached.is_file():
        if sha256_of(cached) == src.sha256:
            return cached
        log.warning("%s: cached file %s fails its checksum; downloading again", key, cached)
        cached.unlink()
    if not download:
        raise DataSourceError(f"{key}: not in the mirror ({MIRROR_ENV}) nor in the cache")
    import pooch

    try:
        path = pooch.retrieve(
            url=src.url,
            known_hash=f"sha256:{src.sha256}",
            fname=Path(src.path).name,
            path=cached.parent,
            progressbar=False,
        )
    except ValueError as err:  # pooch: hash mismatch (truncated or altered download)
        raise ChecksumError(
            f"{key}: downloaded file from {src.url} fails its SHA-256 check ({err}); "
            "the download was truncated or upstream changed"
        ) from None
    except Exception as err:  # network errors come from requests/urllib in many types
        raise DataSourceError(
            f"{key}: cannot download {src.url} ({type(err).__name__}: {err}); "
            f"set {MIRROR_ENV} to a directory holding {src.local_path}"
        ) from None
    return Path(path)


def available(key: str) -> bool:
    """True when ``key`` can be had without a network (mirror or cache)."""
    try:
        fetch(key, download=False)
    except DataSourceError:
        return False
    return True
