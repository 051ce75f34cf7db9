"""Protection: AES-256 encryption with a random owner password, and passphrases to send separately."""

from __future__ import annotations

import io
import secrets
from pathlib import Path

from pypdf import PdfReader, PdfWriter

from senforms.errors import SenformsError


def encrypt(writer: PdfWriter, password: str) -> None:
    if not password:
        raise SenformsError("The bundle password is empty: give a passphrase or leave encryption off.")
    # A distinct random owner password: otherwise pypdf reuses the user password as owner.
    writer.encrypt(user_password=password, owner_password=secrets.token_urlsafe(32), algorithm="AES-256")


def encrypt_pdf_file(path: Path, password: str) -> Path:
    """Encrypt the PDF at `path` in place, AES-256 like the bundle."""
    from senforms.outputs.atomic import write_atomic

    writer = PdfWriter(clone_from=PdfReader(str(path)))
    encrypt(writer, password)
    buffer = io.BytesIO()
    writer.write(buffer)
    return write_atomic(path, buffer.getvalue(), overwrite=True)


def encrypt_docx_file(path: Path, password: str) -> Path:
    """Encrypt the Word file at `path` in place with Office encryption (Word asks for the passphrase)."""
    from msoffcrypto.format.ooxml import OOXMLFile

    from senforms.outputs.atomic import write_atomic

    if not password:
        raise SenformsError("The bundle password is empty: give a passphrase or leave encryption off.")
    buffer = io.BytesIO()
    with open(path, "rb") as handle:
        OOXMLFile(handle).encrypt(password, buffer)
    return write_atomic(path, buffer.getvalue(), overwrite=True)


# --------------------------------------------------------------------------------------------
# Passphrases


def generate_passphrase() -> str:
    """Four random words and four digits, e.g. "copper-lantern-meadow-violet-4821".

    About 4 × 9 + 13 ≈ 49 bits from `secrets`. Send it by a different channel from the PDF.
    """
    words = [secrets.choice(_WORDS) for _ in range(4)]
    return "-".join([*words, f"{secrets.randbelow(10_000):04d}"])


_WORDS: tuple[str, ...] = tuple(
    """
    acorn actor adder agent alarm album alder alley almond amber anchor angle ankle anvil apple
    apron arbor arch arena arrow aspen atlas attic autumn avenue badge bagel baker balcony ballad
    bamboo banjo banner barley barn barrel basil basin basket beacon beaker bean beaver bedrock
    beech beetle bell bench berry bicycle binder birch biscuit bison blanket blossom blue bobbin
    bonnet border bottle boulder bracket branch brass bread breeze brick bridge brook broom
    bucket buckle budget bugle bunny butter button cabin cable cactus camel camera canal candle
    canoe canvas canyon captain carbon cargo carpet carrot castle cedar cello chalk channel chapel
    cherry chess chestnut chime chorus cider cinema circle citrus clover cobalt cocoa coconut
    comet compass copper coral cotton cradle crane crater crayon cricket crown crystal cupboard
    curtain cushion cycle daisy dawn delta denim desert diamond dinner dipper dolphin domino
    donkey dragon drawer dream drum dune eagle easel echo eclipse elbow elder elm ember emerald
    engine evening fabric falcon feather fennel ferry fiddle field fig filter finch fjord flag
    flannel flute forest fossil fountain fox frost fudge galaxy garden garnet gate gazelle gecko
    geyser ginger glacier glade glove goose gorge granite grape gravel guitar gull hammock harbour
    harp harvest hazel heather hedge helmet heron hill hive holly honey horizon hornet husky
    iceberg igloo indigo inlet iris island ivory jacket jade jasmine jelly jigsaw journal jungle
    juniper kayak kernel kettle kitten kiwi koala ladder lagoon lake lantern larch lark laurel
    lavender lemon lentil letter lily lime linen lizard llama lobster locket lotus lunar lute
    magnet mango mantle maple marble marsh meadow melon mermaid meteor mint mirror mitten mole
    monsoon moose mosaic moss moth muffin nectar needle nest nickel nimbus noodle nutmeg oak oasis
    ocean olive onion opal orbit orchard orchid otter owl oyster paddle pagoda palm panda panther
    paper parcel parrot pasta peach peanut pebble pelican pencil penguin pepper piano pickle pigeon
    pillow pine planet plum pocket polar pollen pond poppy porch potato pottery prairie prism puffin
    pumpkin puzzle quail quarry quartz quill rabbit radar radish rain raisin raven reef ribbon
    ridge river robin rocket rose ruby saddle saffron sage sail salmon sandal sapphire satin
    scarf school scooter seal season shadow shell shelter shore silver sketch sky sledge slate
    sloth snail snow socket sonnet sparrow spice spider spinach spiral sponge spring spruce squash
    squirrel stable star starling stone stork storm straw stream summer sunset swallow swan sweater
    syrup table tadpole tango teapot temple thimble thistle thunder tiger timber toast topaz
    torch tortoise towel tower trail tram tulip tundra tunnel turnip turtle twig umbrella unicorn
    valley velvet violet violin volcano wagon walnut walrus water wave whale wheat whisk willow
    window winter wizard wombat wool yacht yarrow yellow yoghurt zebra zephyr zinc abbey badger
    bramble cobble dingle ferret glimmer hamlet kestrel lichen meander nettle oriole pinecone
    primrose quince rowan sorrel thrush upland vervain wren yew acre bluebell cowslip daffodil
    elderberry foxglove gannet hawthorn ivy jay kingfisher lapwing mallard nightjar osprey
    partridge plover redwing skylark teal warbler woodpecker beetroot cabbage celery chard
    courgette damson gooseberry leek marrow parsnip rhubarb shallot sprout swede tomato
    """.split()
)
