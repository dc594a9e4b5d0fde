#!/usr/bin/env python3
"""Build ``src/snapscribe/data/grounding_lexicon.json.gz`` from WordNet 3.0.

The grounding guard asks "is this caption noun a kind of something the evidence
saw?" ("dog" is supported by a detected cocker spaniel; "golden retriever" is not
supported by a plain "dog"). It needs the WordNet hypernym graph of every noun a
caption may mention and of every class the models can output; this script extracts
just that slice (a few thousand synsets), so the runtime needs neither WordNet nor nltk.

Input: Debian's ``wordnet-base`` (``/usr/share/wordnet``), the taxonomy data files.
Run:   python scripts/build_grounding_lexicon.py [--wordnet /usr/share/wordnet]
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from wordnet_nouns import WordNetNouns

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "snapscribe" / "data"

# Lexicographer files whose senses are things a photo can show.
CONCRETE = {5: "animal", 6: "artifact", 13: "food", 17: "object", 18: "person", 20: "plant"}

# Words a caption uses for composition, not for a thing in the picture; never mentions.
STOP = {
    "entity",
    "physical entity",
    "object",
    "whole",
    "thing",
    "unit",
    "artifact",
    "artefact",
    "instrumentality",
    "instrumentation",
    "organism",
    "being",
    "living thing",
    "animate thing",
    "matter",
    "substance",
    "material",
    "equipment",
    "device",
    "container",
    "structure",
    "construction",
    "commodity",
    "consumer goods",
    "covering",
    "implement",
    "system",
    "part",
    "portion",
    "article",
    "ware",
    "merchandise",
    "product",
    "production",
    "creation",
    "conveyance",
    "transport",
    "means",
    "support",
    "surface",
    "area",
    "region",
    "location",
    "abstraction",
    "group",
    "collection",
    "photo",
    "photograph",
    "picture",
    "image",
    "exposure",
    "shot",
    "snapshot",
    "scene",
    "view",
    "background",
    "foreground",
    "frame",
    "composition",
    "design",
    "pattern",
    "art",
    "artwork",
    "wallpaper",
    "texture",
    "detail",
    "close-up",
    "closeup",
    "light",
    "lights",
    "colour",
    "color",
    "shade",
    "shadow",
    "top",
    "bottom",
    "centre",
    "center",
    "middle",
    "side",
    "front",
    "back",
    "line",
    "shape",
    "curve",
    "layer",
    "band",
    "stripe",
    "gradient",
    "tone",
    "hue",
    "edge",
    "corner",
    "piece",
    "set",
    "figure",
    "form",
    "model",
    "subject",
    "display",
    "decoration",
    "ornament",
    "scenery",
    "landscape",
    "nature",
    "world",
    "life",
    "day",
    "time",
    "moment",
    "way",
    "place",
    "spot",
    "point",
    "end",
    "head",
    "face",
    "body",
    "element",
    "feature",
    "beauty",
    "mood",
    "vibe",
    "vibes",
    "memory",
    "memories",
    "paradise",
    "heaven",
    "mystery",
    "treasure",
    "gem",
    "jewel",
    "beast",
    "critter",
    "baby",
    "standard",
    "cover",
    "fixture",
    "attire",
    "clothing",
    "wear",
    "apparel",
    "garment",
    "foodstuff",
    "food product",
    "nutriment",
    "nourishment",
    "sustenance",
    "aliment",
    "solid",
    "fluid",
    "liquid",
    "vertebrate",
    "chordate",
    "invertebrate",
    "placental",
    "eutherian mammal",
    "eutherian",
    "placental mammal",
    "carnivore",
    "ungulate",
    "hoofed mammal",
    "even-toed ungulate",
    "odd-toed ungulate",
    "ruminant",
    "bovid",
    "arthropod",
    "mollusc",
    "mollusk",
    "diapsid",
    "diapsid reptile",
    "craft",
    "vessel",
    "wheeled vehicle",
    "self-propelled vehicle",
    "motor vehicle",
    "vascular plant",
    "tracheophyte",
    "herb",
    "herbaceous plant",
    "angiosperm",
    "flowering plant",
    "spermatophyte",
    "seed plant",
    "phanerogam",
    "woody plant",
    "ligneous plant",
    "reproductive structure",
    "plant organ",
    "plant part",
    "plant structure",
    "natural object",
    "causal agent",
    "cause",
    "agent",
    "person",
    "individual",
    "someone",
    "somebody",
    "mortal",
    "soul",
    "adult",
    "grownup",
    "worker",
    "expert",
    "professional",
    "peer",
    "equal",
    "match",
    "compeer",
    "lover",
    "relative",
    "relation",
    "traveler",
    "traveller",
    "contestant",
    "communicator",
    "organizer",
    "organiser",
    "leader",
    "intellectual",
    "religious person",
    "mover",
    "originator",
    "creator",
    "combatant",
    "fighter",
    "battler",
    "unfortunate",
    "unfortunate person",
    "good",
    "goods",
    "tool",
    "instrument",
    "accessory",
    "accessories",
    "appliance",
    "gear",
}

# People words: all supported by a detected person (age and gender are not checked).
PEOPLE = [
    "person",
    "people",
    "man",
    "men",
    "woman",
    "women",
    "girl",
    "girls",
    "boy",
    "boys",
    "child",
    "children",
    "kid",
    "kids",
    "baby",
    "babies",
    "toddler",
    "teenager",
    "teen",
    "lady",
    "ladies",
    "gentleman",
    "gentlemen",
    "guy",
    "guys",
    "crowd",
    "family",
    "couple",
    "friends",
    "friend",
    "tourist",
    "tourists",
    "player",
    "players",
    "athlete",
    "runner",
    "cyclist",
    "surfer",
    "skier",
    "hiker",
    "fisherman",
    "photographer",
    "cameraman",
    "bride",
    "groom",
    "pedestrian",
    "pedestrians",
    "worker",
    "workers",
    "chef",
    "couple",
    "dad",
    "mom",
    "mother",
    "father",
    "daughter",
    "son",
    "grandmother",
    "grandfather",
    "astronaut",
    "soldier",
    "officer",
    "admiral",
    "student",
    "students",
    "musician",
    "dancer",
    "dancers",
    "rider",
    "biker",
    "swimmer",
    "diver",
    "portrait",
    "selfie",
    "someone",
    "somebody",
    "team",
    "crew",
    "audience",
    "choir",
    "husband",
    "wife",
    "paraglider",
    "windsurfer",
    "kitesurfer",
    "snowboarder",
    "skateboarder",
    "mechanic",
    "lifeguard",
    "postman",
    "he",
    "she",
    "him",
    "her",
    "his",
    "herself",
    "himself",
]

# Extra concrete nouns captions often use that are not ImageNet/COCO hypernyms.
EXTRA = [
    "tree",
    "flag",
    "statue",
    "sculpture",
    "fountain",
    "lamp",
    "lantern",
    "candle",
    "sign",
    "signpost",
    "billboard",
    "poster",
    "painting",
    "bicycle",
    "bike",
    "scooter",
    "helicopter",
    "rocket",
    "drone",
    "balloon",
    "tent",
    "campfire",
    "fire",
    "guitar",
    "piano",
    "violin",
    "drum",
    "camera",
    "phone",
    "smartphone",
    "computer",
    "television",
    "car",
    "taxi",
    "van",
    "tractor",
    "ship",
    "yacht",
    "canoe",
    "kayak",
    "ferry",
    "bridge",
    "tower",
    "castle",
    "church",
    "temple",
    "lighthouse",
    "windmill",
    "house",
    "cottage",
    "cabin",
    "skyscraper",
    "barn",
    "hut",
    "palace",
    "mosque",
    "pagoda",
    "horse",
    "cow",
    "pig",
    "goat",
    "sheep",
    "chicken",
    "duck",
    "goose",
    "swan",
    "owl",
    "eagle",
    "parrot",
    "pigeon",
    "seagull",
    "gull",
    "deer",
    "fox",
    "wolf",
    "rabbit",
    "squirrel",
    "mouse",
    "rat",
    "hamster",
    "turtle",
    "frog",
    "snake",
    "lizard",
    "fish",
    "shark",
    "whale",
    "dolphin",
    "butterfly",
    "bee",
    "spider",
    "ant",
    "dragonfly",
    "ladybird",
    "ladybug",
    "snail",
    "monkey",
    "lion",
    "tiger",
    "elephant",
    "giraffe",
    "zebra",
    "bear",
    "kitten",
    "puppy",
    "cat",
    "dog",
    "flower",
    "rose",
    "tulip",
    "sunflower",
    "daisy",
    "mushroom",
    "cactus",
    "fruit",
    "apple",
    "strawberry",
    "lemon",
    "cake",
    "pizza",
    "burger",
    "hamburger",
    "sandwich",
    "salad",
    "bread",
    "coffee",
    "tea",
    "wine",
    "beer",
    "cocktail",
    "juice",
    "ice cream",
    "chocolate",
    "cookie",
    "umbrella",
    "hat",
    "cap",
    "sunglasses",
    "glasses",
    "backpack",
    "suitcase",
    "handbag",
    "bag",
    "ball",
    "football",
    "basketball",
    "kite",
    "surfboard",
    "skateboard",
    "skis",
    "snowboard",
    "laptop",
    "keyboard",
    "book",
    "newspaper",
    "clock",
    "watch",
    "vase",
    "toy",
    "teddy bear",
    "doll",
    "bench",
    "chair",
    "sofa",
    "couch",
    "bed",
    "lamp post",
    "streetlight",
    "traffic light",
    "dragon",
    "robot",
    "figurine",
    "helmet",
    "bowl",
    "cup",
    "mug",
    "plate",
    "bottle",
    "glass",
    "spoon",
    "fork",
    "knife",
    "pot",
    "basket",
    "box",
    "gift",
    "present",
]

# COCO label -> WordNet sense where the first sense is wrong.
COCO_SENSE = {
    "kite": "kite.n.03",
    "mouse": "mouse.n.04",
    "tie": "necktie.n.01",
    "remote": "remote_control.n.01",
    "tv": "television_receiver.n.01",
    "cell phone": "cellular_telephone.n.01",
    "couch": "sofa.n.01",
    "potted plant": "pot_plant.n.01",
    "hair drier": "hand_blower.n.01",
    "sports ball": "ball.n.01",
    "microwave": "microwave.n.02",
    "keyboard": "computer_keyboard.n.01",
    "refrigerator": "electric_refrigerator.n.01",
    "donut": "doughnut.n.02",
    "skis": "ski.n.01",
    "cow": "cattle.n.01",
    "motorcycle": "motorcycle.n.01",
    "airplane": "airplane.n.01",
    "bear": "bear.n.01",
    "orange": "orange.n.01",
    "apple": "apple.n.01",
    "oven": "oven.n.01",
    "sink": "sink.n.01",
    "toilet": "toilet.n.02",
    "book": "book.n.02",
    "bench": "bench.n.01",
    "bowl": "bowl.n.03",
    "cup": "cup.n.01",
    "knife": "knife.n.01",
    "fork": "fork.n.01",
    "bottle": "bottle.n.01",
    "bed": "bed.n.01",
    "chair": "chair.n.01",
    "laptop": "laptop.n.01",
    "clock": "clock.n.01",
    "vase": "vase.n.01",
    "scissors": "scissors.n.01",
    "teddy bear": "teddy.n.01",
    "toothbrush": "toothbrush.n.01",
    "dining table": "dining_table.n.01",
    "wine glass": "wineglass.n.01",
    "hot dog": "hotdog.n.02",
    "train": "train.n.01",
    "boat": "boat.n.01",
    "bus": "bus.n.01",
    "truck": "truck.n.01",
    "car": "car.n.01",
    "bicycle": "bicycle.n.01",
    "traffic light": "traffic_light.n.01",
    "fire hydrant": "fireplug.n.01",
    "stop sign": "street_sign.n.01",
    "parking meter": "parking_meter.n.01",
    "bird": "bird.n.01",
    "cat": "cat.n.01",
    "dog": "dog.n.01",
    "horse": "horse.n.01",
    "sheep": "sheep.n.01",
    "elephant": "elephant.n.01",
    "zebra": "zebra.n.01",
    "giraffe": "giraffe.n.01",
    "backpack": "backpack.n.01",
    "umbrella": "umbrella.n.01",
    "handbag": "bag.n.04",
    "suitcase": "bag.n.06",
    "frisbee": "frisbee.n.01",
    "snowboard": "snowboard.n.01",
    "baseball bat": "baseball_bat.n.01",
    "baseball glove": "baseball_glove.n.01",
    "skateboard": "skateboard.n.01",
    "surfboard": "surfboard.n.01",
    "tennis racket": "tennis_racket.n.01",
    "spoon": "spoon.n.01",
    "banana": "banana.n.02",
    "sandwich": "sandwich.n.01",
    "broccoli": "broccoli.n.02",
    "carrot": "carrot.n.03",
    "pizza": "pizza.n.01",
    "cake": "cake.n.03",
    "toaster": "toaster.n.02",
    "person": "person.n.01",
}
# Extra words whose first concrete sense is wrong for photos.
WORD_SENSE = {
    "kite": ["kite.n.03"],
    "mouse": ["mouse.n.01", "mouse.n.04"],
    "glasses": ["spectacles.n.01", "glass.n.02"],
    "present": ["present.n.02"],
    "gift": ["present.n.02"],
    "watch": ["watch.n.01"],
    "drum": ["drum.n.01"],
    "bike": ["bicycle.n.01", "motorcycle.n.01"],
    "cap": ["cap.n.01"],
    "fire": ["fire.n.01", "campfire.n.01"],
    "plate": ["plate.n.04", "plate.n.01"],
    "glass": ["glass.n.02"],
    "pot": ["pot.n.01", "pot.n.04", "flowerpot.n.01"],
    "box": ["box.n.01"],
    "ball": ["ball.n.01"],
    "bag": ["bag.n.01", "bag.n.04", "bag.n.06"],
    "tower": ["tower.n.01"],
    "sign": ["sign.n.02", "street_sign.n.01"],
    "tree": ["tree.n.01"],
    "chicken": ["chicken.n.02", "chicken.n.01"],
    "duck": ["duck.n.01"],
    "seal": ["seal.n.09"],
    "crane": ["crane.n.05", "crane.n.04"],
    "bat": ["bat.n.01", "bat.n.05"],
    "football": ["football.n.02"],
    "basketball": ["basketball.n.02"],
    "phone": ["telephone.n.01", "cellular_telephone.n.01"],
    "painting": ["painting.n.01"],
    "bowl": ["bowl.n.03", "bowl.n.01"],
    "fish": ["fish.n.01", "fish.n.02"],
    "orange": ["orange.n.01"],
    "apple": ["apple.n.01"],
    "coffee": ["coffee.n.01", "espresso.n.01"],
    "tea": ["tea.n.01"],
    "wine": ["wine.n.01"],
    "cake": ["cake.n.03"],
    "mug": ["mug.n.04"],
    "cup": ["cup.n.01"],
    "model": [],
    "figure": [],
    "head": [],
    "light": [],
    "bridge": ["bridge.n.01"],
    "boat": ["boat.n.01"],
    "ship": ["ship.n.01"],
    "palace": ["palace.n.01"],
    "temple": ["temple.n.01"],
    "church": ["church.n.02"],
    "castle": ["castle.n.02"],
    "dandelion clock": ["dandelion.n.01"],
    "seed head": ["seed.n.01"],
    "launch pad": ["launchpad.n.01"],
    "house": ["house.n.01"],
    "cabin": ["cabin.n.01"],
    "hut": ["hut.n.01"],
    "barn": ["barn.n.01"],
    "clock": ["clock.n.01"],
    "book": ["book.n.02"],
    "bench": ["bench.n.01"],
}
# Words newer than WordNet 3.0 (2006), mapped to the nearest synset.
MODERN = {
    "smartphone": ["cellular_telephone.n.01"],
    "iphone": ["cellular_telephone.n.01"],
    "mobile phone": ["cellular_telephone.n.01"],
    "cell phone": ["cellular_telephone.n.01"],
    "tablet": ["computer.n.01", "tablet.n.01"],
    "ipad": ["computer.n.01"],
    "drone": ["drone.n.04", "drone.n.01"],
    "headphones": ["earphone.n.01"],
    "earbuds": ["earphone.n.01"],
    "smartwatch": ["watch.n.01"],
    "e-bike": ["bicycle.n.01"],
    "ebike": ["bicycle.n.01"],
    "e-scooter": ["scooter.n.02"],
    "hoverboard": ["skateboard.n.01"],
    "selfie stick": ["pole.n.01"],
    "laptop": ["laptop.n.01"],
    "webcam": ["camera.n.01"],
    "gopro": ["camera.n.01"],
}

# Category words above the concrete lexicographer files ("animal" is in noun.Tops).
CATEGORY = {
    "animal": ["animal.n.01"],
    "creature": ["animal.n.01"],
    "wildlife": ["animal.n.01"],
    "pet": ["animal.n.01"],
    "plant": ["plant.n.02"],
    "food": ["food.n.01", "food.n.02"],
    "drink": ["beverage.n.01"],
    "fruit": ["fruit.n.01", "edible_fruit.n.01"],
    "vehicle": ["vehicle.n.01"],
    "furniture": ["furniture.n.01"],
}


class WordNet:
    """The shared noun reader, seen with lower-case, space-separated words and lemmas."""

    def __init__(self, directory: Path):
        raw = WordNetNouns(directory)
        self.synsets: dict[int, tuple[list[str], int, list[int]]] = {}
        self.proper: set[tuple[int, str]] = set()  # (synset, word) where the word is a name ("Burns")
        for offset, syn in raw.synsets.items():
            names = [w.replace("_", " ").split("(")[0] for w in syn.words]
            for w in names:
                if w[:1].isupper():
                    self.proper.add((offset, w.lower()))
            self.synsets[offset] = ([w.lower() for w in names], syn.lexfile, syn.hypernyms)
        self.index = {w.replace("_", " "): offs for w, offs in raw.index.items()}
        self.tagged = {w.replace("_", " "): n for w, n in raw.tagged.items()}
        self.exceptions = {p.replace("_", " "): s.replace("_", " ") for p, s in raw.exceptions.items()}
        self._closure = raw.closure

    def sense(self, name: str) -> int:
        lemma, _, num = name.rsplit(".", 2)
        return self.index[lemma.replace("_", " ")][int(num) - 1]

    def concrete_senses(self, lemma: str, limit: int = 3) -> list[int]:
        out = [o for o in self.index.get(lemma, []) if self.synsets[o][1] in CONCRETE]
        return out[:limit]

    def closure(self, offset: int) -> list[int]:
        return self._closure(offset)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--wordnet", type=Path, default=Path("/usr/share/wordnet"))
    ap.add_argument("--out", type=Path, default=DATA / "grounding_lexicon.json.gz")
    args = ap.parse_args()
    wn = WordNet(args.wordnet)

    imagenet = json.loads((DATA / "imagenet_taxonomy.json").read_text())
    coco = json.loads((DATA / "coco_labels.json").read_text())
    roots: set[int] = set()
    inet_offsets = []
    for row in imagenet:
        off = int(row["wnid"][1:])
        inet_offsets.append(off)
        roots.add(off)
    coco_offsets: dict[str, int] = {}
    for cid, row in coco.items():
        name = row["name"]
        sense = COCO_SENSE.get(name)
        off = wn.sense(sense) if sense else (wn.concrete_senses(name, 1) or [None])[0]
        if off is None:
            raise SystemExit(f"no WordNet sense for COCO {name!r}")
        coco_offsets[cid] = off
        roots.add(off)

    # Mention lemmas: every word of every concrete synset above a model class, plus extras.
    lemmas: dict[str, list[int]] = {}

    def add(word: str, offsets: list[int]) -> None:
        word = word.lower().strip()
        if not word or word in STOP or not offsets:
            return
        cur = lemmas.setdefault(word, [])
        for o in offsets:
            if o not in cur:
                cur.append(o)

    for root in list(roots):
        for off in wn.closure(root):
            words, lexfile, _ = wn.synsets[off]
            if lexfile not in CONCRETE:
                continue
            for w in words:
                # The word's own concrete senses, so "crane" (bird) also knows crane (machine).
                add(w, [off] + [o for o in wn.concrete_senses(w) if o != off][:2])
    for row in imagenet:
        for w in (row["specific"], row["basic"], row["name"]):
            add(w.lower(), [int(row["wnid"][1:])])
    for cid, row in coco.items():
        for w in (row["name"], row["basic"]):
            add(w, [coco_offsets[cid]])
    vocab_lines = (DATA / "vocabulary.tsv").read_text().splitlines()[1:]
    for ln in vocab_lines:
        cols = ln.split("\t")
        if len(cols) < 2 or cols[1] not in ("object", "animal", "food"):
            continue
        for w in [cols[0]] + [a.strip() for a in (cols[2] if len(cols) > 2 else "").split(",") if a.strip()]:
            add(w, wn.concrete_senses(w, 2))
    # Every animal, plant and food name, person noun, and common (SemCor-tagged) or one-word artifact
    # is a claim. Words that are also adjectives ("classic", "young") only when curated above.
    people_words = set(PEOPLE)
    adjectives: dict[str, int] = {}  # adjective -> SemCor tag count
    for line in open(args.wordnet / "index.adj", encoding="latin-1"):
        if not line.startswith("  "):
            p = line.split()
            adjectives[p[0].replace("_", " ")] = int(p[4 + int(p[3]) + 1]) + 1
    for word, offsets in wn.index.items():
        if not offsets or word in STOP or not word.replace(" ", "").replace("-", "").isalpha():
            continue
        if word in lemmas or word.endswith("ing") or (offsets[0], word) in wn.proper:
            continue
        if word in adjectives and adjectives[word] >= wn.tagged.get(word, 0):
            continue  # more often an adjective: "classic", "young"
        first = wn.synsets[offsets[0]][1]
        words = len(word.split())
        if first in (5, 13, 20) and words <= 2:
            add(word, wn.concrete_senses(word, 2))
        elif first == 18 and words == 1:
            people_words.add(word)
        elif first == 6 and (words == 1 or wn.tagged.get(word, 0) > 0) and words <= 2:
            add(word, wn.concrete_senses(word, 2))
    for word in list(people_words):
        lemmas.pop(word, None)
    for w in EXTRA + ["dandelion clock", "seed head", "launch pad"]:
        senses = [wn.sense(s) for s in WORD_SENSE[w]] if w in WORD_SENSE else wn.concrete_senses(w, 2)
        if senses:
            lemmas[w] = senses  # curated senses win
    for w, senses in MODERN.items():
        lemmas[w] = [wn.sense(x) for x in senses]
    for w, senses in CATEGORY.items():
        lemmas[w] = [wn.sense(x) for x in senses]
    for w, senses in WORD_SENSE.items():
        if w in lemmas:
            if senses:
                lemmas[w] = [wn.sense(s) for s in senses]
            else:
                del lemmas[w]

    # Keep only the synsets the runtime walks.
    keep: set[int] = set()
    for offs in list(lemmas.values()) + [inet_offsets, list(coco_offsets.values())]:
        for o in offs:
            keep.update(wn.closure(o))
    synsets = {str(o): {"w": wn.synsets[o][0][:1], "h": wn.synsets[o][2]} for o in sorted(keep)}
    plurals = {p: s for p, s in wn.exceptions.items() if (s in lemmas or s in people_words) and p != s}
    out = {
        "about": "Generated by scripts/build_grounding_lexicon.py from WordNet 3.0 (Princeton licence).",
        "people": sorted(people_words),
        "lemmas": {w: lemmas[w] for w in sorted(lemmas)},
        "plurals": dict(sorted(plurals.items())),
        "coco": coco_offsets,
        "synsets": synsets,
    }
    # mtime=0: the same input gives byte-identical output
    args.out.write_bytes(gzip.compress(json.dumps(out, separators=(",", ":")).encode(), 9, mtime=0))
    print(f"{args.out}: {len(lemmas)} lemmas, {len(synsets)} synsets, {len(plurals)} irregular plurals")


if __name__ == "__main__":
    main()
