"""The tests' news corpus, all inside the repo: hand-written articles (tests/data/news/*.txt, in the lower-case,
punctuation-stripped style of the BBC news CSV that `make eval` uses) first, then as many generated
entertainment-news articles as a test asks for.

The generated ones are deterministic (a fixed seed), about 15 sentences each, about invented people, with
enough variety that none is a near-duplicate of another (ingest's 5-gram Jaccard stays far below 0.5). Half are
written in the BBC style, half in ordinary case. Nothing here reads outside the repo.
"""

from __future__ import annotations

import random
import re
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data" / "news"

FIRST = ("Ada Alba Ansel Bram Cass Corin Dara Elio Esme Fenn Greer Hale Ines Jory Kit Lark Liesl Mabel Niko Odile "
         "Perrin Quinn Rafe Saskia Tamsin Ulric Vida Wren Xavi Yara Zeno Bryn Cleo Dorian Eden Flint Gemma Hugo "
         "Isla Jago").split()
LAST = ("Ashdown Brightwell Calloway Delacourt Ellery Fairbairn Garroway Hollis Ingram Jessop Kestrel Lowther "
        "Marchetti Navarro Okafor Pemberton Quarry Rowntree Salcombe Thackeray Underhill Varga Whitlock Yardley "
        "Zabini Abernethy Blackwood Coyle Dunmore Everett Finch Galloway Harcourt Iverson Jarrow Kowal Lindqvist "
        "Moreau Nightingale Orsini").split()
FILMS = ("The Glass Harbour|Northern Lights Fading|A Winter in Trieste|The Last Ferryman|Copper Sky|The Quiet Year|"
         "Salt and Smoke|The Lantern Keeper|Midnight at the Lido|A House of Strangers|The Orchard Thief|Paper Crowns|"
         "The Long Road South|Blue Velvet Hours|Wildfire Season|The Cartographer's Daughter|Iron Meadow|"
         "The Nightingale Affair|Harbour Lights|A Song for Lisbon").split("|")
BANDS = ("The Velvet Arches|Northbound|Hollow Pines|The Paper Kites|Silver Harbour|Echo Street|The Lanterns|"
         "Glasshouse|The Midnight Choir|Saltwater Kings").split("|")
SHOWS = ("Harbour Street|The Night Desk|Kitchen Wars|Castle Hill|The Big Bake Off-Season|Ward Nine|"
         "Strictly Ballroom Nights|The Inspectors|Coastline|Family Fortunes Revisited").split("|")
CITIES = ("London Manchester Glasgow Edinburgh Dublin Cardiff Belfast Leeds Bristol Liverpool Paris Berlin Toronto "
          "Sydney Melbourne Cannes Venice Madrid Lisbon Prague").split()
VENUES = ("the Royal Albert Hall|the O2 Arena|Wembley Stadium|the Barbican|the Hollywood Bowl|Madison Square Garden|"
          "the Apollo|the Roundhouse|the Sydney Opera House|the Olympia").split("|")
MONTHS = "January February March April May June July August September October November December".split()
OUTLETS = ("The Guardian|Variety|Radio Times|The Hollywood Reporter|NME|Empire magazine|Rolling Stone|"
           "The Times|Billboard|Screen International").split("|")

TOPICS = {
    "film": (
        "{a} to star in new {film} drama",
        ["{a} is to star in {film}, a period drama to be shot in {city} next {month}.",
         "The film is directed by {b}, who cast {a_last} after seeing {a_pron} stage work in {city2}.",
         "Producers said the budget was about {n} million pounds, small by Hollywood standards.",
         "{a_last} plays a widowed ferry captain who takes in a stranger during a storm.",
         "{b_last} said the script had taken {k} years to write and went through {k2} drafts.",
         "Filming will last about {k} weeks, with studio scenes at Pinewood and location work on the coast.",
         "{c} has also joined the cast as the captain's estranged brother.",
         "{a_last} and {c_last} previously worked together on a television adaptation of a Dickens novel.",
         "The distributor hopes to release the film in time for the awards season next autumn.",
         "{a_last} told {outlet} that the part was the hardest {a_pron2} had been offered.",
         "{a_pron_cap} said {a_pron2} had learned to handle a small boat for the role.",
         "Early reports suggest the film will premiere at a festival in {city2}.",
         "{b_last}'s previous film won a jury prize and was praised for its long, quiet takes.",
         "The production has promised to hire local crew members for most of the shoot.",
         "Critics who have read the script describe it as bleak but tender."]),
    "award": (
        "{a} wins best actor at {city} film awards",
        ["{a} has won the best actor prize at the {city} film awards for {a_pron3} role in {film}.",
         "The ceremony took place on {day} {month} in front of an audience of about {n3} guests.",
         "{a_last} beat competition from {b} and {c}, who had been the bookmakers' favourite.",
         "Accepting the award, {a_last} thanked {b_last} and said the film had changed {a_pron3} life.",
         "The best actress prize went to {d} for a tense courtroom thriller.",
         "{film} also won awards for its screenplay and its score.",
         "The jury was chaired by the veteran director {e}, who called this year's field unusually strong.",
         "{a_last} began acting in youth theatre in {city2} and spent {k} years in repertory companies.",
         "Last year the same prize went to a first-time actor from a low-budget horror film.",
         "Organisers said ticket sales for the festival screenings were up by a fifth.",
         "{c_last} told reporters backstage that {a_last} thoroughly deserved to win.",
         "The awards are seen as an early guide to the winners of the bigger prizes in the spring.",
         "A lifetime achievement award was given to the cinematographer {e_last}.",
         "The evening ended with a tribute to the actors and crew who died during the year.",
         "{a_last} is due to begin filming a comedy in {city} in the new year."]),
    "band": (
        "{band} to reunite for {venue} shows",
        ["{band} are to reunite for {k} concerts at {venue} next {month}, {k2} years after they split.",
         "Singer {a} said the band had settled their differences over dinner in {city}.",
         "Guitarist {b} and drummer {c} will both return, but bassist {d} has declined to take part.",
         "The band split after a row over royalties and a cancelled tour of the United States.",
         "{a_last} told {outlet} that the reunion was about the music and not about money.",
         "Tickets go on sale on Friday and are expected to sell out within hours.",
         "The group had {k} top ten singles in the 1990s and sold millions of albums worldwide.",
         "{b_last} has spent the years since the split producing records for younger bands.",
         "{c_last} said rehearsals had started in a converted barn outside {city2}.",
         "The band are also working on new songs and may release an album next year.",
         "Their final concert before the split was played to a half-empty hall in {city2}.",
         "Fans have campaigned online for a reunion for more than a decade.",
         "{a_last} admitted that {a_pron2} had not spoken to {b_last} for several years after the break-up.",
         "A documentary crew will follow the band during rehearsals.",
         "Promoters said further dates could be added if demand was high."]),
    "court": (
        "{a} wins libel case against newspaper",
        ["{a} has won a libel case against a tabloid newspaper over claims about {a_pron3} private life.",
         "The High Court in {city} ruled that the articles were false and ordered the paper to pay damages.",
         "The judge said the newspaper had made no real attempt to check its story before printing it.",
         "{a_last}'s lawyer, {b}, said the award of {n} thousand pounds would be given to charity.",
         "The paper had claimed that {a_last} walked off the set of {film} after a row with {c}.",
         "{c_last} gave evidence during the {k}-day trial and said no such row had taken place.",
         "The newspaper said it was disappointed by the verdict and was considering an appeal.",
         "{a_last} said outside court that {a_pron2} had brought the case to protect {a_pron3} family.",
         "Media lawyers said the case could make editors more careful about anonymous sources.",
         "The court heard that the story had been based on a single source who was never named.",
         "The paper must also publish a correction on its front page.",
         "{a_last} was supported in court by {a_pron3} partner and by the director {d}.",
         "It is the second time in {k2} years that the paper has lost a case brought by an actor.",
         "The judge described the paper's conduct as careless rather than malicious.",
         "Costs are expected to exceed the damages awarded."]),
    "tv": (
        "{show} returns as ratings rise",
        ["The drama {show} will return for a new series after its ratings rose for a third year.",
         "An average of {n} million viewers watched the last series, according to overnight figures.",
         "{a}, who plays the lead, has signed a contract for {k} more episodes.",
         "The writer {b} said the new series would move the story forward by {k2} years.",
         "{c} joins the cast as a new head of the hospital, replacing a character killed off last year.",
         "Filming starts in {city} in {month} and the series will be shown in the autumn.",
         "{a_last} said the cast had become a close family during the long shoots.",
         "The broadcaster said the programme was its most watched drama among viewers under 35.",
         "{b_last} admitted that the decision to kill off a popular character had angered many fans.",
         "{d} will direct the first two episodes.",
         "The show has been sold to broadcasters in more than {k3} countries.",
         "A spin-off series about two of the younger characters is also being considered.",
         "{c_last} previously starred in a long-running soap opera set in {city2}.",
         "Critics have praised the show for its sharp dialogue and its refusal to tie up every story.",
         "The first episode of the new series is expected to run for 90 minutes."]),
    "book": (
        "{a} signs deal for memoir",
        ["{a} has signed a deal to write a memoir about {a_pron3} years in the music business.",
         "The book, due next {month}, will cover {a_pron3} childhood in {city} and {a_pron3} first record deal.",
         "The publisher said the advance was one of the largest it had ever paid to a performer.",
         "{a_last} said the book would be honest about the drinking that almost ended {a_pron3} career.",
         "{a_pron_cap} will also write about {a_pron3} long friendship with the songwriter {b}.",
         "{b_last} is said to have read early chapters and given the project {b_pron3} blessing.",
         "{a_last} has written the book without a ghost writer, the publisher said.",
         "The memoir will include photographs from {a_pron3} own collection, many never published.",
         "{a_last} had {k} hit albums before taking a break from music in the late 1990s.",
         "An audio version will be read by {a_last} {a_pron4}.",
         "The singer {c}, a former bandmate, has said {c_pron2} will not be reading it.",
         "Publishers have been competing for celebrity memoirs after a string of bestsellers.",
         "{a_last} said writing the book had taken {k2} years and many early mornings.",
         "A launch event is planned at a bookshop in {city2}.",
         "Film rights have already attracted interest from two studios."]),
    "festival": (
        "{band} to headline {city} festival",
        ["{band} have been named as headliners of the {city} music festival this {month}.",
         "The festival, now in its {k3}th year, expects about {n3} visitors over three days.",
         "Other acts on the bill include the singer {a} and the folk duo {b} and {c}.",
         "Organisers said the line-up was the most varied in the festival's history.",
         "{a_last} will play songs from {a_pron3} new album, recorded in a church in {city2}.",
         "{b_last} and {c_last} met at university and have toured together for {k} years.",
         "Tickets have risen in price by about ten per cent, which organisers blamed on costs.",
         "A new stage will be devoted to comedy and spoken word.",
         "The festival's founder, {d}, said she wanted to keep the event small and friendly.",
         "Local residents have raised concerns about noise and traffic in previous years.",
         "The council has granted a licence on condition that music stops at 11pm.",
         "{band} last played the festival {k2} years ago, before their first hit.",
         "Camping will be free for children under twelve.",
         "The weekend will end with a fireworks display over the river.",
         "Organisers promised that the water supply problems of last year had been fixed."]),
    "theatre": (
        "{a} wins praise for West End debut",
        ["{a} has won rave reviews for {a_pron3} first West End role, in a revival of a 1950s comedy.",
         "The play opened on {day} {month} at a theatre on Shaftesbury Avenue.",
         "Critics singled out {a_last}'s comic timing and {a_pron3} chemistry with co-star {b}.",
         "{b_last} has spent most of {b_pron3} career on stage and has won two theatre awards.",
         "The production is directed by {c}, who has run a theatre in {city} for a decade.",
         "{a_last} is best known for television, including {k} series of the police drama {show}.",
         "{a_pron_cap} said {a_pron2} had been terrified on the first night.",
         "The run has been extended by {k2} weeks because of strong ticket sales.",
         "One reviewer wrote that the play felt fresh despite its age.",
         "Another critic was less kind, calling the second act slow and overlong.",
         "{c_last} said the cast had rehearsed for six weeks in a church hall in {city2}.",
         "{d} designed the set, a crumbling country house that revolves between scenes.",
         "The producers hope to take the play to Broadway next year.",
         "{a_last} admitted that eight shows a week had been more tiring than {a_pron2} had expected.",
         "Cheap seats are being offered to students on weekday evenings."]),
}

GENERAL = [
    "{a_last} grew up in {city2}, where {a_pron3} parents ran a small cinema.",
    "A spokesperson for {a_last} declined to comment further.",
    "The news was first reported by {outlet}.",
    "{a_last} and {b_last} have known each other since drama school.",
    "{b_last} described {a_last} as generous, funny and very hard-working.",
    "The announcement was made at a press conference in {city}.",
    "Fans reacted with enthusiasm on social media within minutes.",
    "{a_last} turned {age} earlier this year.",
    "{b_last} is married to the designer {e} and lives in {city2}.",
    "Industry observers said the move was a surprise.",
    "{a_last} has been nominated for a Bafta {k} times.",
    "Further details are expected to be announced next month.",
]


def _bbc_style(text: str) -> str:
    """The CSV's export style: lower case, apostrophes and most punctuation gone, double spaces left behind."""
    text = text.lower().replace("'", " ")
    return re.sub(r"[,;:\"()]", " ", text)


def _people(rng: random.Random, used: set[str], n: int) -> list[tuple[str, str]]:
    out = []
    while len(out) < n:
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        if name not in used:
            used.add(name)
            out.append((name, rng.choice(["he", "she"])))
    return out


def _generated(i: int, rng: random.Random, used: set[str]) -> str:
    topic = list(TOPICS)[i % len(TOPICS)]
    title_t, sentences = TOPICS[topic]
    people = _people(rng, used, 5)
    slots: dict[str, str] = {}
    for key, (name, pron) in zip("abcde", people):
        slots[key] = name
        slots[f"{key}_last"] = name.split()[1]
        slots[f"{key}_pron"] = pron
        slots[f"{key}_pron_cap"] = pron.capitalize()
        slots[f"{key}_pron2"] = pron
        slots[f"{key}_pron3"] = "his" if pron == "he" else "her"
        slots[f"{key}_pron4"] = "himself" if pron == "he" else "herself"
    city, city2 = rng.sample(CITIES, 2)
    slots.update(city=city, city2=city2, film=rng.choice(FILMS), band=rng.choice(BANDS), show=rng.choice(SHOWS),
                 venue=rng.choice(VENUES), month=rng.choice(MONTHS), outlet=rng.choice(OUTLETS),
                 day=str(rng.randint(1, 28)), n=str(rng.randint(2, 40)), n3=str(rng.randint(5, 60) * 1000),
                 k=str(rng.randint(2, 9)), k2=str(rng.randint(2, 12)), k3=str(rng.randint(12, 40)),
                 age=str(rng.randint(28, 71)))
    body = [sentences[0]] + rng.sample(sentences[1:], rng.randint(9, 12)) + rng.sample(GENERAL, rng.randint(2, 4))
    text = " ".join([title_t.format(**slots) + "."] + [s.format(**slots) for s in body])
    return _bbc_style(text) if i % 2 == 0 else text


SIZE = 240  # about the size of the CSV's entertainment category


@lru_cache(maxsize=1)
def _all() -> tuple[str, ...]:
    written = [p.read_text("utf-8").strip() for p in sorted(DATA.glob("*.txt"))]
    rng, used = random.Random(20240917), set()
    return tuple(written + [_generated(i, rng, used) for i in range(SIZE - len(written))])


def news_texts(n: int = 40) -> list[str]:
    """The first n texts: the hand-written articles, then generated ones (always the same)."""
    assert n <= SIZE, f"the test corpus has {SIZE} articles"
    return list(_all()[:n])


def news_articles(n: int = 40):
    """(source, Article) pairs as `askcelebs.evaluation.bbc_articles` makes them from the CSV: the title is the
    first sentence, the source names the row."""
    from askcelebs.articles import make_article, normalise

    out = []
    for i, raw in enumerate(news_texts(n)):
        text = normalise(raw)
        title = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0][:100]
        source = f"tests-news#row{i}"
        out.append((source, make_article(text, source, title=title, outlet="Test News")))
    return out


def write_news_folder(folder: Path, texts: list[str]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, text in enumerate(texts):
        p = folder / f"news_{i:03d}.txt"
        p.write_text(text + "\n", "utf-8")
        paths.append(p)
    return paths
