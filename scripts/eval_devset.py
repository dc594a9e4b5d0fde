#!/usr/bin/env python3
"""Score snapscribe captions against the labelled dev set.

Input: a JSONL file of result records, one JSON object a line, as written by
``snapscribe caption devset/cache --format jsonl`` (fields used: ``source``,
``caption``, ``status``, ``hashtags``, ``tags`` [{label, score}], ``objects``
[{label, score, box}]), and devset/labels.json.

For every labelled image it reports

* **subject hit**: the caption names the main subject, i.e. one of the label's
  ``subject`` words/phrases occurs in it as whole words (singular or plural);
* **hallucinated nouns**: concrete nouns from a fixed lexicon (COCO classes,
  common ImageNet basic-level nouns, people words, scene nouns) that the caption
  names but that are not in the label's ``present`` list, nor a synonym of, nor a
  more general word for, something in it ("person" is fine when "woman" is
  present; "dog" is not fine when only "cat" is).

Summary: subject-named rate, hallucination rate (share of captions with at least
one hallucinated noun), both overall and per kind (photo/abstract/...), plus tag
precision against ``present`` and hashtag hallucinations as secondary figures.

    python scripts/eval_devset.py --jsonl results.jsonl [--labels devset/labels.json]
                                  [--json] [--fail-under 0.8] [--max-hallucination 0.05]

Records are matched to labels by file name; failing that, by file stem, so a run
over devset/cache/1024/*.jpg is scored too. When both exist, the original wins.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePath

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_LABELS = ROOT / "devset" / "labels.json"

# --------------------------------------------------------------------------- words

_TOKEN = re.compile(r"[a-z0-9]+")

IRREGULAR_PLURALS = {
    "people": "person",
    "persons": "person",
    "men": "man",
    "women": "woman",
    "children": "child",
    "kids": "kid",
    "mice": "mouse",
    "geese": "goose",
    "feet": "foot",
    "teeth": "tooth",
    "leaves": "leaf",
    "knives": "knife",
    "wolves": "wolf",
    "shelves": "shelf",
    "loaves": "loaf",
    "calves": "calf",
    "halves": "half",
    "scarves": "scarf",
    "wives": "wife",
    "lives": "life",
    "cacti": "cactus",
    "fungi": "fungus",
    "oxen": "ox",
    "dice": "die",
    "ladies": "lady",
    "puppies": "puppy",
    "berries": "berry",
    "skies": "sky",
    "butterflies": "butterfly",
    "dragonflies": "dragonfly",
    "daisies": "daisy",
    "lilies": "lily",
    "cherries": "cherry",
    "strawberries": "strawberry",
    "cities": "city",
    "countries": "country",
    "bodies": "body",
    "tomatoes": "tomato",
    "potatoes": "potato",
    "volcanoes": "volcano",
    "heroes": "hero",
    "mangoes": "mango",
    "dominoes": "domino",
    "buses": "bus",
    "glasses": "glass",
    "grasses": "grass",
    "bosses": "boss",
    "boxes": "box",
    "foxes": "fox",
    "benches": "bench",
    "beaches": "beach",
    "branches": "branch",
    "churches": "church",
    "dishes": "dish",
    "brushes": "brush",
    "bushes": "bush",
    "watches": "watch",
    "sandwiches": "sandwich",
    "peaches": "peach",
    "couches": "couch",
    "torches": "torch",
    "matches": "match",
    "lenses": "lens",
    "horses": "horse",
    "houses": "house",
    "vases": "vase",
    "cheeses": "cheese",
    "roses": "rose",
    "noses": "nose",
    "hoses": "hose",
    "bases": "base",
    "cases": "case",
    "suitcases": "suitcase",
    "purses": "purse",
    "nurses": "nurse",
    "phases": "phase",
    "glimpses": "glimpse",
    "canvases": "canvas",
    "octopuses": "octopus",
    "walruses": "walrus",
    "cactuses": "cactus",
    # -ies / -oes / -is words the suffix rules below would get wrong
    "cookies": "cookie",
    "movies": "movie",
    "brownies": "brownie",
    "selfies": "selfie",
    "smoothies": "smoothie",
    "zombies": "zombie",
    "pies": "pie",
    "ties": "tie",
    "prairies": "prairie",
    "hippies": "hippie",
    "rookies": "rookie",
    "calories": "calorie",
    "shoes": "shoe",
    "canoes": "canoe",
    "toes": "toe",
    "hoes": "hoe",
    "oboes": "oboe",
    "floes": "floe",
    "skis": "ski",
    "kiwis": "kiwi",
    "taxis": "taxi",
    "bikinis": "bikini",
    "martinis": "martini",
    "safaris": "safari",
}
# words that end in s but are singular (or invariant): never strip their s
NO_STRIP = {
    "grass",
    "glass",
    "moss",
    "dress",
    "bus",
    "cactus",
    "octopus",
    "walrus",
    "lotus",
    "hibiscus",
    "iris",
    "crocus",
    "asparagus",
    "hummus",
    "couscous",
    "citrus",
    "canvas",
    "gas",
    "lens",
    "series",
    "species",
    "news",
    "chess",
    "bonus",
    "virus",
    "campus",
    "compass",
    "mattress",
    "fungus",
    "class",
    "boss",
    "cross",
    "christmas",
    "always",
    "this",
    "is",
    "was",
    "has",
    "its",
    "his",
    "us",
    "as",
    "yes",
    "less",
    "across",
    "bliss",
    "cypress",
    "axis",
    "oasis",
    "tennis",
    "analysis",
    "physics",
    "mathematics",
    "plus",
    "jeans",
    "pants",
    "scissors",
    "clothes",
    "trousers",
    "shorts",
    "sunglasses",
    "binoculars",
    "goggles",
    "stairs",
    "hippopotamus",
    "platypus",
    "nautilus",
    "abacus",
    "bogus",
    "focus",
}
INVARIANT = {"fish", "sheep", "deer", "moose", "bison", "salmon", "trout", "aircraft", "series"}


def singular(word: str) -> str:
    """Crude English singular for nouns: enough for caption nouns, not a lemmatizer."""
    w = word.lower()
    if w in IRREGULAR_PLURALS:
        return IRREGULAR_PLURALS[w]
    if w in INVARIANT or w in NO_STRIP or len(w) <= 3:
        return w
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith(("ches", "shes", "sses", "xes", "zzes")):
        return w[:-2]
    if w.endswith("oes"):
        return w[:-2]
    if w.endswith("ss") or w.endswith("us") or w.endswith("is"):
        return w
    if w.endswith("s"):
        return w[:-1]
    return w


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens, singularised. '#sunset' -> 'sunset', 'forget-me-not' -> 3 tokens."""
    return [singular(t) for t in _TOKEN.findall(text.lower())]


def term_key(term: str) -> tuple[str, ...]:
    return tuple(tokens(term))


def find_terms(text: str, vocab: set[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """Non-overlapping, longest-first matches of vocabulary terms in text, as whole words."""
    toks = tokens(text)
    if not toks or not vocab:
        return []
    longest = max(len(v) for v in vocab)
    out: list[tuple[str, ...]] = []
    i = 0
    while i < len(toks):
        for n in range(min(longest, len(toks) - i), 0, -1):
            cand = tuple(toks[i : i + n])
            if cand in vocab:
                out.append(cand)
                i += n
                break
        else:
            i += 1
    return out


def contains_term(text: str, term: str) -> bool:
    """Whole-word, plural-insensitive phrase containment."""
    key = term_key(term)
    if not key:
        return False
    toks = tokens(text)
    n = len(key)
    return any(tuple(toks[i : i + n]) == key for i in range(len(toks) - n + 1))


# --------------------------------------------------------------------------- lexicon
# Concrete nouns a caption could claim. Deliberately left out: words that are often
# adjectives or colours ("orange", "light", "gold"), vague words ("nature", "scene",
# "art", "pattern", "texture", "abstract", "background", "colour"), and "tie"/"remote".

COCO = """person bicycle bike car motorcycle motorbike airplane aeroplane plane bus train truck boat
traffic light fire hydrant hydrant stop sign parking meter bench bird cat dog horse sheep cow
elephant bear zebra giraffe backpack umbrella handbag suitcase frisbee ski snowboard ball
sports ball kite baseball bat baseball glove skateboard surfboard tennis racket racket bottle
wine glass cup fork knife spoon bowl banana apple sandwich broccoli carrot hot dog pizza donut
doughnut cake chair couch sofa potted plant bed dining table table toilet tv television laptop
mouse keyboard cell phone phone mobile phone smartphone microwave oven toaster sink
refrigerator fridge book clock vase scissors teddy bear hair drier hair dryer toothbrush"""

PEOPLE = """person people man woman child kid boy girl baby toddler teenager adult lady gentleman
guy crowd family couple friend player rider skier surfer astronaut photographer cameraman
officer soldier sailor admiral worker chef tourist hiker runner face portrait selfie bride
groom human student pedestrian"""

ANIMALS = """animal pet puppy kitten tabby fish goldfish koi shark whale dolphin seal turtle
tortoise frog toad snake lizard crocodile alligator insect bug butterfly moth bee wasp ant
spider beetle ladybird ladybug dragonfly caterpillar snail worm crab lobster octopus jellyfish
duck goose swan chicken hen rooster parrot owl eagle hawk falcon pigeon dove gull seagull
penguin flamingo peacock robin sparrow finch nuthatch woodpecker crow raven heron stork
hummingbird lion tiger leopard cheetah wolf fox deer moose squirrel rabbit hare hamster rat
monkey ape gorilla chimpanzee pig goat donkey mule camel llama alpaca kangaroo koala panda
bat hedgehog otter beaver badger raccoon dinosaur dragon cattle bull ox pony calf lamb"""

PLANTS_FOOD = """flower tree plant grass leaf moss fern bush shrub cactus palm mushroom fungus
rose tulip daisy sunflower dahlia marigold lily orchid dandelion poppy lotus lavender anemone
blossom bouquet petal seed vine ivy weed reed bamboo pine oak maple birch cypress
fruit vegetable food meal dish dessert breakfast lunch dinner bread cheese egg meat steak
sausage burger hamburger fries salad soup pasta noodle rice sushi cookie biscuit chocolate
candy pie croissant pastry coffee espresso cappuccino latte tea juice wine beer cocktail
drink beverage milk water ice cream icecream fig grape strawberry cherry lemon lime peach
pear plum pineapple watermelon melon mango berry blueberry raspberry tomato potato onion
pepper cucumber lettuce corn mushroom nut"""

OBJECTS = """mug glass plate saucer jar pot pan kettle teapot basket box package gift present
bag purse wallet hat cap helmet glasses sunglasses shoe boot sock shirt dress jacket coat
scarf uniform suit spacesuit costume flag sign signpost poster banner balloon candle lamp
lantern chandelier bulb mirror window door curtain blind pillow cushion blanket rug carpet
sofa armchair stool desk shelf cabinet drawer wardrobe bookshelf fence gate railing ladder
rope chain wire cable pole post tower antenna camera tripod lens telescope computer monitor
screen tablet speaker headphone microphone guitar piano violin drum djembe trumpet
instrument toy doll figurine statue sculpture frame poster coin
money banknote key lock watch ring necklace jewelry brush paintbrush pen pencil paper
notebook map globe trophy tool hammer saw wheel tire tyre engine bicycle skateboard
tent bench beanbag grinder bottle can"""

VEHICLES = """vehicle car van truck lorry jeep taxi tractor motorcycle scooter bicycle bus tram
train locomotive subway boat ship sailboat yacht canoe kayak rowboat ferry raft airplane
aircraft helicopter jet rocket spacecraft spaceship satellite shuttle space shuttle balloon"""

SCENE = """sky cloud sun sunset sunrise sunlight moon star galaxy milky way planet earth
space universe night dusk twilight dawn rainbow aurora lightning storm rain snow fog mist
sea ocean lake river stream creek pond waterfall wave water beach shore coast sand dune
island harbor harbour port bay cliff cave rock stone pebble gravel boulder mountain hill
peak volcano valley canyon glacier iceberg ice desert field meadow farm farmland garden park
lawn forest wood woods jungle tree trunk branch path trail road street highway bridge tunnel
railway track city town village skyline skyscraper building house home cabin hut barn
castle palace church cathedral temple pagoda mosque tower lighthouse windmill monument
ruin wall roof fountain pool stadium market shop store restaurant cafe kitchen bathroom
bedroom room interior office classroom library museum garage workshop street lamp
streetlight pier dock jetty harbor boardwalk landscape countryside crater horizon"""

_LEXICON_TERMS = set()
for _block in (COCO, PEOPLE, ANIMALS, PLANTS_FOOD, OBJECTS, VEHICLES, SCENE):
    _LEXICON_TERMS.update(_block.split())
# multi-word entries (the blocks above are split on spaces; re-add the phrases)
_LEXICON_TERMS.update(
    {
        "traffic light",
        "fire hydrant",
        "stop sign",
        "parking meter",
        "sports ball",
        "baseball bat",
        "baseball glove",
        "tennis racket",
        "wine glass",
        "hot dog",
        "potted plant",
        "dining table",
        "cell phone",
        "mobile phone",
        "teddy bear",
        "hair drier",
        "hair dryer",
        "ice cream",
        "milky way",
        "space shuttle",
        "street lamp",
    }
)
# pieces of phrases that are not claims on their own
_LEXICON_TERMS -= {
    "traffic",
    "fire",
    "stop",
    "parking",
    "meter",
    "sports",
    "baseball",
    "tennis",
    "hot",
    "potted",
    "dining",
    "cell",
    "mobile",
    "teddy",
    "hair",
    "drier",
    "dryer",
    "milky",
    "way",
    "light",
    "orange",
    "tie",
    "remote",
    "present",
    "can",
    "saw",
    "watch",
    "match",
    "wood",
    "space",
    "star",
    "picture",
    "suit",
    "portrait",
    "home",
    "track",
    "port",
}
LEXICON: frozenset[tuple[str, ...]] = frozenset(term_key(t) for t in _LEXICON_TERMS if term_key(t))

# Synonym groups: a caption word counts as present if any member of its group is present.
SYNONYM_GROUPS = [
    {"sea", "ocean"},
    {"ladybird", "ladybug", "lady bug"},
    {"motorcycle", "motorbike"},
    {"bicycle", "bike"},
    {"sofa", "couch"},
    {"airplane", "aeroplane", "plane"},
    {"tv", "television"},
    {"refrigerator", "fridge"},
    {"donut", "doughnut"},
    {"phone", "cell phone", "mobile phone", "smartphone"},
    {"hair drier", "hair dryer"},
    {"rock", "stone", "boulder"},
    {"pebble", "stone", "gravel"},
    {"dusk", "twilight"},
    {"sunset", "sunrise", "dusk"},
    {"fog", "mist"},
    {"harbor", "harbour", "port"},
    {"stream", "creek", "brook"},
    {"pier", "jetty", "dock", "boardwalk"},
    {"forest", "woods", "wood"},
    {"path", "trail", "footpath"},
    {"rowboat", "boat"},
    {"tyre", "tire"},
    {"cup", "mug"},
    {"kid", "child"},
    {"lady", "woman"},
    {"spacecraft", "spaceship"},
    {"cameraman", "photographer"},
    {"drum", "djembe"},
    {"hill", "hillside"},
    {"puppy", "dog"},
    {"kitten", "cat"},
    {"beanbag", "bean bag"},
    {"field", "meadow", "farmland"},
    {"sun", "sunlight"},
    {"aurora", "northern light"},
    {"milky way", "galaxy"},
]
# General words: the key is acceptable when any of the listed specific things is present.
HYPERNYMS = {
    "person": {
        "man",
        "woman",
        "child",
        "kid",
        "boy",
        "girl",
        "baby",
        "lady",
        "astronaut",
        "photographer",
        "cameraman",
        "officer",
        "admiral",
        "soldier",
        "people",
        "crowd",
        "portrait",
        "face",
        "rider",
        "skier",
        "surfer",
        "hiker",
        "tourist",
    },
    "people": {"man", "woman", "child", "kid", "boy", "girl", "person", "crowd", "lady"},
    "human": {"man", "woman", "child", "person", "people", "astronaut"},
    "portrait": {"man", "woman", "person", "face", "child", "girl", "boy"},
    "face": {"man", "woman", "person", "child", "girl", "boy", "cat", "dog", "portrait"},
    "animal": {
        "cat",
        "dog",
        "bird",
        "horse",
        "insect",
        "fish",
        "elephant",
        "butterfly",
        "dragonfly",
        "ladybird",
        "beetle",
        "nuthatch",
        "goldfish",
        "mouse",
        "rat",
        "dragon",
        "spaniel",
        "puppy",
        "kitten",
        "tabby",
        "bee",
        "spider",
        "cow",
        "sheep",
        "bear",
        "zebra",
        "giraffe",
        "duck",
        "swan",
        "pony",
    },
    "pet": {"cat", "dog", "kitten", "puppy", "spaniel", "tabby", "goldfish", "hamster", "rabbit"},
    "bird": {
        "nuthatch",
        "robin",
        "sparrow",
        "duck",
        "swan",
        "gull",
        "seagull",
        "parrot",
        "owl",
        "eagle",
        "pigeon",
        "hummingbird",
        "finch",
        "penguin",
        "crow",
    },
    "insect": {
        "butterfly",
        "dragonfly",
        "ladybird",
        "ladybug",
        "beetle",
        "bee",
        "ant",
        "moth",
        "wasp",
        "fritillary",
        "swallowtail",
    },
    "bug": {"butterfly", "dragonfly", "ladybird", "ladybug", "beetle", "insect"},
    "beetle": {"ladybird", "ladybug"},
    "fish": {"goldfish", "koi", "salmon", "trout", "shark"},
    "plant": {
        "flower",
        "tree",
        "grass",
        "leaf",
        "moss",
        "fern",
        "bush",
        "shrub",
        "reed",
        "cactus",
        "dandelion",
        "blossom",
        "sprout",
        "vegetation",
        "palm",
        "foliage",
    },
    "flower": {
        "dahlia",
        "daisy",
        "sunflower",
        "marigold",
        "blossom",
        "anemone",
        "calla",
        "calla lily",
        "lily",
        "dandelion",
        "rose",
        "tulip",
        "orchid",
        "poppy",
        "gerbera",
        "forget-me-not",
        "scabious",
        "wildflower",
        "apple blossom",
    },
    "blossom": {"flower", "apple blossom", "dahlia", "marigold", "bloom"},
    "petal": {"flower", "dahlia", "daisy", "sunflower", "marigold", "blossom", "gerbera", "lily"},
    "tree": {"forest", "woods", "pine", "oak", "maple", "birch", "spruce", "trunk", "palm"},
    "leaf": {"foliage", "maple leaf", "tree", "plant", "leaves"},
    "grass": {"lawn", "meadow", "turf", "reed", "dune grass", "beach grass"},
    "food": {
        "fruit",
        "fig",
        "coffee",
        "espresso",
        "cake",
        "pizza",
        "sandwich",
        "banana",
        "apple",
        "bread",
        "meal",
        "dish",
        "vegetable",
        "salad",
        "drink",
    },
    "fruit": {"fig", "apple", "banana", "grape", "strawberry", "cherry", "lemon", "peach", "pear"},
    "drink": {"coffee", "espresso", "wine", "tea", "beer", "juice", "cocktail", "beverage"},
    "beverage": {"coffee", "espresso", "wine", "tea", "beer", "juice", "drink"},
    "vehicle": {
        "car",
        "motorcycle",
        "motorbike",
        "bicycle",
        "boat",
        "truck",
        "bus",
        "train",
        "rocket",
        "rowboat",
        "van",
    },
    "boat": {"rowboat", "rowing boat", "canoe", "kayak", "ship", "yacht", "sailboat"},
    "rocket": {"spacecraft", "spaceship", "space shuttle", "shuttle", "falcon"},
    "spacecraft": {"rocket", "space shuttle", "shuttle", "spaceship"},
    "building": {
        "pagoda",
        "temple",
        "tower",
        "house",
        "palace",
        "church",
        "castle",
        "skyscraper",
        "facade",
        "architecture",
        "cabin",
        "hut",
        "barn",
        "garage",
    },
    "tower": {"pagoda", "lighthouse", "skyscraper"},
    "house": {"cabin", "hut", "home"},
    "water": {
        "sea",
        "ocean",
        "lake",
        "river",
        "stream",
        "creek",
        "pond",
        "waterfall",
        "wave",
        "drop",
        "droplet",
        "raindrop",
        "splash",
        "dew",
        "water drop",
    },
    "landscape": {
        "mountain",
        "hill",
        "valley",
        "field",
        "meadow",
        "lake",
        "forest",
        "countryside",
        "beach",
        "coast",
        "desert",
        "dune",
        "farmland",
        "peak",
    },
    "mountain": {"peak", "alp", "ridge", "volcano"},
    "hill": {"mountain", "ridge", "dune"},
    "sky": {"cloud", "sunset", "sunrise", "star", "milky way", "galaxy", "night sky", "aurora"},
    "cloud": {"storm cloud", "cloudscape", "altocumulus"},
    "star": {"galaxy", "milky way", "night sky", "stars"},
    "space": {"galaxy", "milky way", "star", "universe", "planet", "outer space"},
    "night": {"dusk", "twilight", "night sky", "milky way", "galaxy", "star"},
    "shore": {"beach", "coast", "lake", "sea", "pier"},
    "coast": {"beach", "shore", "sea", "ocean"},
    "beach": {"shore", "coast", "dune", "sand", "mudflat"},
    "ground": {"soil", "floor", "gravel", "field", "grass", "moss", "sand", "dirt", "path"},
    "seed": {"dandelion", "seed head", "seedhead"},
    "instrument": {"drum", "djembe", "guitar", "piano", "violin"},
    "furniture": {"table", "chair", "sofa", "couch", "bench", "beanbag", "shelf", "cabinet", "desk"},
    "container": {"cup", "bowl", "jar", "pot", "box", "bottle", "vase", "basket", "mug"},
    "dish": {"plate", "bowl", "saucer"},
    "plate": {"saucer", "dish", "bowl"},
    "toy": {"figurine", "doll", "teddy bear", "kite", "ornament"},
    "statue": {"figurine", "sculpture"},
    "figurine": {"toy", "ornament", "statue"},
    "painting": {"illustration", "artwork", "art", "drawing"},
    "interior": {"room", "living room", "kitchen", "bedroom", "garage"},
    "room": {"interior", "living room", "kitchen", "bedroom", "garage"},
    "box": {"gift", "present", "package", "parcel", "gift box"},
    "gift": {"present", "gift box", "package"},
}


def _norm_set(terms) -> set[tuple[str, ...]]:
    return {term_key(t) for t in terms if term_key(t)}


_SYN_INDEX: dict[tuple[str, ...], set[tuple[str, ...]]] = {}
for _g in SYNONYM_GROUPS:
    _keys = _norm_set(_g)
    for _k in _keys:
        _SYN_INDEX.setdefault(_k, set()).update(_keys)
_HYPER_INDEX = {term_key(k): _norm_set(v) for k, v in HYPERNYMS.items()}


def _expand(terms: set[tuple[str, ...]]) -> set[tuple[str, ...]]:
    out = set(terms)
    for t in terms:
        out |= _SYN_INDEX.get(t, set())
    return out


def _hyponyms(term: tuple[str, ...], depth: int = 4) -> set[tuple[str, ...]]:
    """Everything more specific than term, transitively (flower -> dahlia; plant -> flower -> dahlia)."""
    seen: set[tuple[str, ...]] = set()
    frontier = _expand({term})
    for _ in range(depth):
        nxt: set[tuple[str, ...]] = set()
        for t in frontier:
            nxt |= _expand(_HYPER_INDEX.get(t, set()))
        nxt -= seen
        if not nxt:
            break
        seen |= nxt
        frontier = nxt
    return seen


def supported(term: tuple[str, ...], present: set[tuple[str, ...]]) -> bool:
    """Is a caption term backed by the label's present list (directly, by synonym, or as a more general word)?"""
    if term in present:
        return True
    present_x = _expand(present)
    if term in present_x:
        return True
    return bool(_hyponyms(term) & present_x)


def hallucinated_nouns(text: str, present_terms, lexicon=LEXICON) -> list[str]:
    """Lexicon nouns in text that nothing in present_terms supports (in order, unique)."""
    present = _norm_set(present_terms)
    vocab = set(lexicon) | present
    out: list[str] = []
    for t in find_terms(text or "", vocab):
        if t in lexicon and not supported(t, present):
            s = " ".join(t)
            if s not in out:
                out.append(s)
    return out


def names_subject(text: str, subject_terms) -> str | None:
    """The first subject term the text names (whole words, plural-insensitive), or None."""
    for term in subject_terms:
        if text and contains_term(text, term):
            return term
    return None


# --------------------------------------------------------------------------- records


@dataclass
class ImageResult:
    file: str
    kind: str
    status: str | None
    caption: str | None
    subject_hit: bool
    subject_word: str | None
    hallucinated: list[str]
    hashtags: list[str] = field(default_factory=list)
    hashtag_hallucinated: list[str] = field(default_factory=list)
    tags_correct: int = 0
    tags_wrong: int = 0
    tags_unjudged: int = 0
    wrong_tags: list[str] = field(default_factory=list)
    source: str | None = None


def load_jsonl(path: Path) -> list[dict]:
    out = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                print(f"warning: {path}:{n}: not JSON ({exc}); skipped", file=sys.stderr)
                continue
            if isinstance(obj, dict):
                out.append(obj)
    return out


def match_records(records: list[dict], labels: list[dict]) -> tuple[dict[str, dict], list[str], int]:
    """Map label file -> record. Returns (matches, unmatched record sources, duplicates ignored)."""
    by_file = {lab["file"]: lab for lab in labels}
    by_stem: dict[str, str] = {}
    for lab in labels:
        by_stem.setdefault(PurePath(lab["file"]).stem, lab["file"])
    matches: dict[str, tuple[int, dict]] = {}  # file -> (quality, record); 2 = exact name, 1 = stem
    unmatched: list[str] = []
    dups = 0
    for rec in records:
        src = str(rec.get("source") or rec.get("path") or rec.get("file") or "")
        name = PurePath(src.replace("\\", "/")).name
        if name in by_file:
            key, quality = name, 2
        elif PurePath(name).stem in by_stem:
            key, quality = by_stem[PurePath(name).stem], 1
        else:
            unmatched.append(src)
            continue
        if key in matches:
            dups += 1
            if quality <= matches[key][0]:
                continue
        matches[key] = (quality, rec)
    return {k: v[1] for k, v in matches.items()}, unmatched, dups


def _hashtag_words(rec: dict) -> list[str]:
    tags = rec.get("hashtags") or []
    return [str(t).lstrip("#") for t in tags if t]


_QUOTED = re.compile(r'"[^"]*"|“[^”]*”')


def score_image(label: dict, rec: dict | None) -> ImageResult:
    present = list(label.get("present", [])) + list(label.get("subject", []))
    if rec is None:
        return ImageResult(label["file"], label.get("kind", "?"), None, None, False, None, [], source=None)
    caption = rec.get("caption") or ""
    status = rec.get("status")
    # Text quoted from the image ('a screenshot with the text "File View Tool"') is the image's own
    # words, checked against the OCR reading by the guard: it neither names the subject nor an object.
    said = _QUOTED.sub('""', caption)
    hit = names_subject(said, label.get("subject", []))
    hall = hallucinated_nouns(said, present)
    hashtags = _hashtag_words(rec)
    # hashtags are often compounds (#sunsetbeach): score each as a phrase only if it is one word
    tag_hall: list[str] = []
    for h in hashtags:
        for n in hallucinated_nouns(h, present):
            if n not in tag_hall:
                tag_hall.append(n)
    res = ImageResult(
        label["file"],
        label.get("kind", "?"),
        status,
        caption or None,
        hit is not None,
        hit,
        hall,
        hashtags,
        tag_hall,
        source=str(rec.get("source") or ""),
    )
    present_keys = _norm_set(present)
    for t in rec.get("tags") or []:
        lab = t.get("label") if isinstance(t, dict) else str(t)
        if not lab:
            continue
        key = term_key(lab)
        if key and (supported(key, present_keys) or any(contains_term(lab, p) for p in present)):
            res.tags_correct += 1
        elif hallucinated_nouns(lab, present):
            res.tags_wrong += 1
            res.wrong_tags.append(lab)
        else:
            res.tags_unjudged += 1
    return res


def summarise(results: list[ImageResult], n_labels: int) -> dict:
    scored = [r for r in results if r.source is not None]

    def rates(rs: list[ImageResult]) -> dict:
        n = len(rs)
        captioned = [r for r in rs if r.caption]
        hits = sum(r.subject_hit for r in rs)
        hall = sum(bool(r.hallucinated) for r in captioned)
        return {
            "images": n,
            "captioned": len(captioned),
            "subject_hits": hits,
            "subject_rate": round(hits / n, 4) if n else None,
            "hallucinating_captions": hall,
            "hallucination_rate": round(hall / len(captioned), 4) if captioned else None,
        }

    # rates are over all labelled images: an image with no record (or no caption) did not name its subject
    out = {"labelled": n_labels, "matched": len(scored), "missing": n_labels - len(scored)}
    out.update(rates(results))
    kinds = sorted({r.kind for r in results})
    out["by_kind"] = {k: rates([r for r in results if r.kind == k]) for k in kinds}
    tc = sum(r.tags_correct for r in scored)
    tw = sum(r.tags_wrong for r in scored)
    out["tags"] = {
        "correct": tc,
        "wrong": tw,
        "unjudged": sum(r.tags_unjudged for r in scored),
        "precision": round(tc / (tc + tw), 4) if tc + tw else None,
    }
    hh = sum(bool(r.hashtag_hallucinated) for r in scored)
    out["hashtags"] = {"images_with_hallucinated_hashtag": hh, "rate": round(hh / len(scored), 4) if scored else None}
    statuses: dict[str, int] = {}
    for r in scored:
        statuses[str(r.status)] = statuses.get(str(r.status), 0) + 1
    out["statuses"] = statuses
    return out


def evaluate(records: list[dict], labels: list[dict]) -> tuple[list[ImageResult], dict, list[str], int]:
    matches, unmatched, dups = match_records(records, labels)
    results = [score_image(lab, matches.get(lab["file"])) for lab in labels]
    summary = summarise(results, len(labels))
    summary["unmatched_records"] = len(unmatched)
    summary["duplicate_records_ignored"] = dups
    missing = [r.file for r in results if r.file not in matches]
    summary["missing_files"] = missing
    return results, summary, unmatched, dups


def _pct(x) -> str:
    return "  n/a" if x is None else f"{100 * x:5.1f}%"


def print_report(results: list[ImageResult], summary: dict, out=None) -> None:
    out = out or sys.stdout
    w = max((len(r.file) for r in results), default=10)
    print(f"{'file':{w}}  kind         subj  hallucinated        caption", file=out)
    for r in results:
        if r.file in summary["missing_files"]:
            print(f"{r.file:{w}}  {r.kind:12} MISSING (no record)", file=out)
            continue
        subj = "yes " if r.subject_hit else "NO  "
        hall = ",".join(r.hallucinated) or "-"
        cap = (r.caption or f"<{r.status}>").replace("\n", " ")
        print(f"{r.file:{w}}  {r.kind:12} {subj}  {hall[:18]:18}  {cap}", file=out)
    s = summary
    print("", file=out)
    print(
        f"images: {s['labelled']} labelled, {s['matched']} with a record, {s['missing']} missing; "
        f"statuses {s['statuses']}",
        file=out,
    )
    print(
        f"subject named:      {_pct(s['subject_rate'])}  ({s['subject_hits']}/{s['images']})   target >= 80%", file=out
    )
    print(
        f"hallucination rate: {_pct(s['hallucination_rate'])}  "
        f"({s['hallucinating_captions']}/{s['captioned']} captions name an absent object)   target <= 5%",
        file=out,
    )
    for k, v in s["by_kind"].items():
        print(
            f"  {k:12} subject {_pct(v['subject_rate'])} ({v['subject_hits']}/{v['images']})  "
            f"hallucination {_pct(v['hallucination_rate'])} ({v['hallucinating_captions']}/{v['captioned']})",
            file=out,
        )
    t = s["tags"]
    print(
        f"tags precision:     {_pct(t['precision'])}  ({t['correct']} right, {t['wrong']} wrong, "
        f"{t['unjudged']} not judged)",
        file=out,
    )
    print(f"hashtags naming an absent object: {s['hashtags']['images_with_hallucinated_hashtag']} images", file=out)
    if s["unmatched_records"] or s["duplicate_records_ignored"]:
        print(
            f"({s['unmatched_records']} records matched no label; "
            f"{s['duplicate_records_ignored']} duplicate records ignored)",
            file=out,
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Score snapscribe JSONL results against devset/labels.json.")
    ap.add_argument("--jsonl", type=Path, required=True, help="results, one JSON record per line")
    ap.add_argument("--labels", type=Path, default=DEFAULT_LABELS)
    ap.add_argument("--json", action="store_true", help="print a machine-readable summary instead")
    ap.add_argument(
        "--fail-under", type=float, default=None, help="exit 1 if the subject-named rate is below this (0.8 or 80)"
    )
    ap.add_argument(
        "--max-hallucination",
        type=float,
        default=None,
        help="exit 1 if the hallucination rate is above this (0.05 or 5)",
    )
    args = ap.parse_args(argv)

    labels = json.loads(args.labels.read_text(encoding="utf-8"))
    labels = labels["images"] if isinstance(labels, dict) else labels
    records = load_jsonl(args.jsonl)
    results, summary, _unmatched, _dups = evaluate(records, labels)

    if args.json:
        summary["per_image"] = [asdict(r) for r in results]
        json.dump(summary, sys.stdout, indent=1)
        print()
    else:
        print_report(results, summary)

    rc = 0
    if args.fail_under is not None:
        bar = args.fail_under / 100 if args.fail_under > 1 else args.fail_under
        if (summary["subject_rate"] or 0) < bar:
            print(f"FAIL: subject rate {summary['subject_rate']} < {bar}", file=sys.stderr)
            rc = 1
    if args.max_hallucination is not None:
        bar = args.max_hallucination / 100 if args.max_hallucination > 1 else args.max_hallucination
        if (summary["hallucination_rate"] or 0) > bar:
            print(f"FAIL: hallucination rate {summary['hallucination_rate']} > {bar}", file=sys.stderr)
            rc = 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
