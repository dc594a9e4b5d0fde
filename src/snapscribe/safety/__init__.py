"""Safety gates that run before any captioning model: known-bad hash lists (PDQ) and NSFW.

* :mod:`.pdq` - PDQ hashes and their 8 dihedral variants.
* :mod:`.hash_index` - exact Hamming-radius index for millions of hashes.
* :mod:`.hashlist_io` - hash-list files.
* :mod:`.hashlists` - hash lists in the database, matched through one :class:`HashIndex`.
* :mod:`.nsfw` - open_nsfw scores.
* :mod:`.skin` - bare skin in the detected people: the second opinion.
* :mod:`.moderation` - explicit/suggestive likelihoods and allow/review/block decisions.
"""

from .hash_index import HashIndex
from .hashlist_io import HashListEntry, HashListError, load_hash_list, parse_hash_list
from .moderation import Likelihood, judge
from .nsfw import NSFWScorer
from .pdq import DIHEDRAL_NAMES, PdqHash, compute_dihedral, compute_pdq, hamming

__all__ = [
    "DIHEDRAL_NAMES",
    "HashIndex",
    "HashListEntry",
    "HashListError",
    "Likelihood",
    "NSFWScorer",
    "PdqHash",
    "compute_dihedral",
    "compute_pdq",
    "hamming",
    "judge",
    "load_hash_list",
    "parse_hash_list",
]
