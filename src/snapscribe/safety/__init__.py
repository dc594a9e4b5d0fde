"""Safety gates that run before any captioning model: known-bad hash lists (PDQ) and NSFW.

* :mod:`.pdq` - PDQ hashes and their 8 dihedral variants.
* :mod:`.hash_index` - exact Hamming-radius index for millions of hashes.
* :mod:`.hashlist_io` - hash-list files.
* :mod:`.hashlists` - hash lists in the database, matched through one :class:`HashIndex`.
* :mod:`.nsfw` - open_nsfw scores and allow/review/block decisions.
"""

from .hash_index import HashIndex
from .hashlist_io import HashListEntry, HashListError, load_hash_list, parse_hash_list
from .nsfw import NSFWScorer, decide
from .pdq import DIHEDRAL_NAMES, PdqHash, compute_dihedral, compute_pdq, hamming

__all__ = [
    "DIHEDRAL_NAMES",
    "HashIndex",
    "HashListEntry",
    "HashListError",
    "NSFWScorer",
    "PdqHash",
    "compute_dihedral",
    "compute_pdq",
    "decide",
    "hamming",
    "load_hash_list",
    "parse_hash_list",
]
