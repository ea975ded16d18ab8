"""Small site skeletons modelled on real public Jekyll podcast sites and themes, as data.

Each ``SiteSpec`` copies no file from its inspiration: the shapes (front matter keys, where the audio
lives, which layout appends an extension, the feed's name, the config keys) are the ones read in the
named repository (notes in the research log), the text and the audio are ours. Remote audio is
written ``{REMOTE}/path``; the test serves ``SiteSpec.remote`` on ``http://127.0.0.1:PORT`` and puts
that in place of ``{REMOTE}``.

``expected`` maps each document that uses audio to the audio it must be linked to: site-relative
paths (no leading slash, no baseurl) for files in the site, the URL for remote audio; one episode in
several encodings lists every encoding. Every other file must come through a build byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.sitefactory import Fixture

REMOTE = "{REMOTE}"

# A text file that Git LFS leaves in a clone made without `git lfs pull`.
LFS_POINTER = """version https://git-lfs.github.com/spec/v1
oid sha256:6f1ed002ab5595859014ebf0951522d9f0a5d1bfb5f9b1fc5c8b2a3c7f6f6a9c
size 342312
"""


@dataclass(frozen=True)
class SiteSpec:
    name: str
    inspiration: str  # the public repository this skeleton is modelled on
    files: dict[str, str | Fixture]
    expected: dict[str, list[str]]
    remote: dict[str, str] = field(default_factory=dict)  # URL path on the test server -> fixture name
    episode_layout: str = "_layouts/post.html"  # where the jekyll test adds the README's include
    parts: frozenset[str] = frozenset()  # documents that use several distinct recordings
    problems: dict[str, str] = field(default_factory=dict)  # document -> text its report line must hold
    language: str = "en"  # every recording here is English, whatever the site's UI language


# ---------------------------------------------------------------------------------------------
# What the sites share, and the lines their own files have in common. Each site still ships its own
# post layout and feed, as real themes do: the helpers below write only the common lines around them.


def _doc(front_matter: str, body: str) -> str:
    """A page, post, feed or layout: its front matter (lines ending in a newline) between `---` lines, then its body."""
    return "---\n" + front_matter + "---\n" + body


DEFAULT_LAYOUT = """<!DOCTYPE html>
<html lang="{{ site.lang | default: 'en' }}">
<head>
  <meta charset="utf-8">
  <title>{% if page.title %}{{ page.title | escape }} - {% endif %}{{ site.title | escape }}</title>
</head>
<body>
  <header><a href="{{ '/' | relative_url }}">{{ site.title | escape }}</a></header>
  <main>
{{ content }}
  </main>
</body>
</html>
"""

PAGE_LAYOUT = _doc("layout: default\n", """<article class="page">
  <h1>{{ page.title | escape }}</h1>
  {{ content }}
</article>
""")


def _index(title: str) -> str:
    """A page listing the posts."""
    return _doc(f"layout: default\ntitle: {title}\n", """<ul>
{% for post in site.posts %}
  <li><a href="{{ post.url | relative_url }}">{{ post.title | escape }}</a></li>
{% endfor %}
</ul>
""")


def _shared(index_title: str | None) -> dict[str, str]:
    """What every site here has: the default layout and (unless None: the site has its own) `index.html`."""
    return {"_layouts/default.html": DEFAULT_LAYOUT} | ({"index.html": _index(index_title)} if index_title else {})


def _post_layout(inner: str, *, before: str = "", article: str = '<article class="post">') -> str:
    """A post layout on `default`: `before`, then an <article> with the title, the site's own `inner` lines, the content."""
    return _doc("layout: default\n", before + article + "\n  <h1>{{ page.title }}</h1>\n" + inner + "  {{ content }}\n</article>\n")


XML = '<?xml version="1.0" encoding="UTF-8"?>\n'
RSS_ITUNES = '<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">'


def _feed(channel: str, posts: str, item: str, *, front_matter: str = "layout: null\n", rss: str = RSS_ITUNES) -> str:
    """A feed, an element a line: <channel> with `channel`, then for each of `posts` an <item> with its title and `item`."""
    return _doc(
        front_matter,
        XML + rss + "\n<channel>\n" + channel + "{% for post in " + posts + " %}<item>\n<title>{{ post.title | xml_escape }}</title>\n"
        + item + "</item>\n{% endfor %}</channel>\n</rss>\n",
    )


def _compact_feed(front_matter: str, channel: str, enclosure: str, *, each: str = "", end: str = "{% endfor %}\n") -> str:
    """A feed on few lines: <channel> with `channel`, then for each post (`each`: Liquid before its <item>) an <item>
    with its title and `enclosure`, then `end`."""
    return _doc(
        front_matter,
        XML + '<rss version="2.0"><channel>' + channel + "\n{% for post in site.posts %}" + each
        + "<item><title>{{ post.title | xml_escape }}</title>\n" + enclosure + "</item>" + end + "</channel></rss>\n",
    )


# ---------------------------------------------------------------------------------------------
# 1. jekyll-octopod/jekyll-octopod: `audio:` maps a format to a bare file name; the files live in
#    `episodes/` at the site root; one feed per encoding (`episodes.mp3.rss` ...).

OCTOPOD = SiteSpec(
    name="octopod", inspiration="jekyll-octopod/jekyll-octopod",
    files={
        "_config.yml": """title: Octopod Show
url: http://localhost:4000
subtitle: Static Site Podcast Publishing for Geeks
description: A podcast about static sites.
author: Uncle Octopod
email: octopod@example.com
keywords: [octopod, podcast, magic]
itunes_categories: [Technology]
episodes_per_feed_page: 100
date_format: ordinal
language: en
explicit: "no"
license: CC BY 4.0
episode_feed_formats: [mp3, m4a, ogg]
""",
        **_shared("Episodes"),
        "_layouts/page.html": PAGE_LAYOUT,
        "_layouts/post.html": _post_layout("""\
  {% if page.subtitle %}<h2>{{ page.subtitle }}</h2>{% endif %}
  <p class="meta">{{ page.date | date: "%B %-d, %Y" }} &middot; {{ page.duration }}</p>
  {% if page.audio %}
  <audio controls preload="none">
    {% for format in page.audio %}<source src="{{ site.url }}/episodes/{{ format[1] }}" type="audio/{{ format[0] }}">
    {% endfor %}
  </audio>
  <ul class="downloads">
    {% for format in page.audio %}<li><a href="{{ site.url }}/episodes/{{ format[1] }}">{{ format[0] }}</a></li>{% endfor %}
  </ul>
  {% endif %}
  {% if page.chapters %}<ol class="chapters">{% for c in page.chapters %}<li>{{ c }}</li>{% endfor %}</ol>{% endif %}
"""),
        "_layouts/feed.xml": """---
layout: null
---
<?xml version="1.0" encoding="UTF-8"?>
<rss xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" version="2.0">
  <channel>
    <title>{{ site.title }}</title>
    <link>{{ site.url }}</link>
    <language>{{ site.language }}</language>
    {% for post in site.posts %}{% if post.audio[page.format] %}
    <item>
      <title>{{ post.title | xml_escape }}</title>
      <link>{{ site.url }}{{ post.url }}</link>
      <enclosure url="{{ site.url }}/episodes/{{ post.audio[page.format] }}" type="audio/{{ page.format }}"/>
      <itunes:duration>{{ post.duration }}</itunes:duration>
    </item>
    {% endif %}{% endfor %}
  </channel>
</rss>
""",
        **{f"episodes.{fmt}.rss": _doc(f"layout: feed\nformat: {fmt}\n", "{{ content }}\n") for fmt in ("mp3", "m4a", "ogg")},
        "imprint.md": "---\nlayout: page\ntitle: Imprint\nnavigation: 3\n---\n\nThis show is made by Uncle Octopod.\n",
        "_posts/2016-03-22-episode0.md": """---
title: Episode 0
subtitle: Getting Started Is Never Easy
datum: March 22nd 2016
layout: post
author: Arne and Stefan
explicit: 'no'
duration: "0:00:09"
audio:
  mp3: episode0.mp3
  ogg: episode0.ogg
  m4a: episode0.m4a
chapters:
  - '00:00:00.000 Intro.'
  - '00:00:05.000 Outro.'
---

## {{ page.subtitle }}

## Show Notes and Links

  * Well this is the place for the show notes.
""",
        "_posts/2016-03-29-no-episode-this-week.md": """---
title: No episode this week
layout: post
---

We are on holiday. Back next week!
""",
        "episodes/episode0.mp3": Fixture("welcome.mp3"),
        "episodes/episode0.ogg": Fixture("welcome.ogg"),
        "episodes/episode0.m4a": Fixture("welcome.m4a"),
    },
    expected={"_posts/2016-03-22-episode0.md": ["episodes/episode0.mp3", "episodes/episode0.ogg", "episodes/episode0.m4a"]},
)


# 2. jekyll-octopod/jekyll-octopod again, with its `download_url:` set: the same bare names now
#    live where `_config.yml` says (here a folder of the site itself, named by its full URL).

OCTOPOD_DOWNLOAD_URL = SiteSpec(
    name="octopod-download-url", inspiration="jekyll-octopod/jekyll-octopod",
    files={
        "_config.yml": """title: Aua-uff-Code
url: "https://octo.example.org"
### download_url: the directory the audio files are served from
download_url: "https://octo.example.org/media/shows"
description: Zwei Entwickler reden.
author: Arne and Stefan
language: de
explicit: "no"
""",
        **_shared("Folgen"),
        "_layouts/post.html": _post_layout(
            before="""{% if site.download_url == "" or site.download_url == nil %}
  {% assign download_url = site.url | append: '/episodes' %}
{% else %}
  {% assign download_url = site.download_url %}
{% endif %}
""",
            inner="""\
  {% if page.audio %}
  <audio controls>
    {% for format in page.audio %}<source src="{{ download_url }}/{{ format[1] }}">{% endfor %}
  </audio>
  {% endif %}
""",
        ),
        "episodes.mp3.rss": _compact_feed(
            "layout: null\nformat: mp3\n",
            "<title>{{ site.title }}</title><language>{{ site.language }}</language>",
            '<enclosure url="{{ site.download_url }}/{{ post.audio[page.format] }}" type="audio/mpeg"/>',
            each="{% if post.audio[page.format] %}",
            end="{% endif %}{% endfor %}\n",
        ),
        "_posts/2019-05-02-folge-1.md": """---
title: "AUC001: Hallo Welt"
layout: post
duration: "0:00:09"
audio:
  mp3: auc001.mp3
---

Unsere erste Folge (auf Englisch, ausnahmsweise).
""",
        "_posts/2019-05-09-folge-2.md": """---
title: "AUC002: Ein kurzer Gruss"
layout: post
audio:
  mp3: auc002.mp3
---

Nur ein kurzer Gruss.
""",
        "media/shows/auc001.mp3": Fixture("welcome.mp3"),
        "media/shows/auc002.mp3": Fixture("episode-12.mp3"),
    },
    expected={
        "_posts/2019-05-02-folge-1.md": ["media/shows/auc001.mp3"],
        "_posts/2019-05-09-folge-2.md": ["media/shows/auc002.mp3"],
    },
)


# 3. nathan-bottomley/jekyll-podcast: a nested `podcast: {file: ...}` with a bare file name full of
#    spaces, commas and parentheses (a folded scalar); files in `assets/episodes/`; the language sits in
#    the config's `podcast:` block. One post has a typo in its file name.

JEKYLL_PODCAST = SiteSpec(
    name="jekyll-podcast", inspiration="nathan-bottomley/jekyll-podcast",
    files={
        "_config.yml": """title: "Flight Through Entirety: A Doctor Who Podcast"
url: "https://fte.example.com"
permalink: /:title/
podcast:
  title: "Flight Through Entirety: A Doctor Who Podcast"
  subtitle: &subtitle >-
    Flying through the entirety of Doctor Who.
  description: *subtitle
  summary: *subtitle
  email: fte@example.com
  language: en-AU
  author: Flight Through Entirety
  owner: Nathan
  explicit: false
  category: TV &amp; Film
  subcategory: TV Reviews
collections:
  contributors:
    output: true
    permalink: /contributors/:slug/
defaults:
  - scope:
      path: ""
      type: contributors
    values:
      layout: default
""",
        **_shared("Episodes"),
        "_layouts/post.html": _post_layout(
            article="<article>",
            inner="""\
  <p>Episode {{ page.podcast.episode }}{% if page.podcast.recording_date %}, recorded {{ page.podcast.recording_date | date: "%A, %e %B %Y" }}{% endif %}</p>
  {% include audio-player.html %}
""",
        ),
        "_includes/audio-player.html": """\
<audio controls preload="metadata" src="{{ '/assets/episodes/' | append: page.podcast.file | uri_escape | relative_url }}"></audio>
""",
        "podcast.xml": _compact_feed(
            "layout: null\npermalink: /feed/podcast.xml\n",
            "<title>{{ site.podcast.title | xml_escape }}</title><language>{{ site.podcast.language }}</language>",
            '<enclosure url="{{ site.url }}/assets/episodes/{{ post.podcast.file | uri_escape }}" type="audio/mpeg"/>',
        ),
        "about.md": "---\nlayout: default\ntitle: About\n---\n\nFlying through the entirety of Doctor Who.\n",
        "_contributors/nathan-bottomley.md": "---\ntitle: Nathan Bottomley\n---\n\nHost since the first episode.\n",
        "_posts/2021-08-01-gaslight-girlboss-ginger.md": """---
title: Gaslight Girlboss Ginger (Day of the Moon)
layout: post
tags:
- Series 6
- The Eleventh Doctor
contributors:
- Nathan Bottomley
podcast:
  # the episode number
  episode: 217
  # the episode filename, including the extension
  file: >-
    FTE 217, Gaslight Girlboss Ginger (Day of the Moon).mp3
  # optional
  recording_date: 2021-08-01
---

We watch *Day of the Moon*.
""",
        "_posts/2021-08-15-digby.md": """---
title: Digby, The Biggest Dog in the World
layout: post
podcast:
  episode: 218
  file: FTE 218, Digby, The Bigest Dog in the World.mp3
---

A film about a very big dog.
""",
        "assets/episodes/FTE 217, Gaslight Girlboss Ginger (Day of the Moon).mp3": Fixture("welcome.mp3"),
        "assets/episodes/FTE 218, Digby, The Biggest Dog in the World.mp3": Fixture("welcome.mp3"),
    },
    expected={"_posts/2021-08-01-gaslight-girlboss-ginger.md": ["assets/episodes/FTE 217, Gaslight Girlboss Ginger (Day of the Moon).mp3"]},
    problems={"_posts/2021-08-15-digby.md": ""},  # "Bigest": no such file
)


# 4. PandaSekh/Jekyll-Podcaster: older posts give an S3 URL in `file:` (with a trailing YAML
#    comment and a `length:` that is a duration), newer ones an extensionless `filename:` that the
#    post's `{% include player.html %}` turns into `/assets/audio/<name>.mp3`. UI `lang: it` and a
#    separate `podcast_lang`.

PODCASTER = SiteSpec(
    name="podcaster", inspiration="PandaSekh/Jekyll-Podcaster",
    files={
        "_config.yml": """# Site settings
title: Arte della Lettura Podcast
description: "Quattro chiacchiere su libri e fumetti"
url:  "https://podcast.example.it" # Actual base url of the website
baseurl: "/"           # url of the jekyll blog
permalink: /:title
exclude: [_podcast.rss]
lang: it

#Podcast
podcast_title: Arte della Lettura Podcast
podcast_author: Alessio
podcast_explicit: "no"
podcast_type: serial
podcast_lang: en
podcast_artwork: "/assets/img/Podcast_Cover.png"
""",
        **_shared("Episodi"),
        "_layouts/post.html": """---
layout: default
---
<div class = "single-post">
        <h2>{{page.title}}</h2>
        <p>{{page.description}}</p>

        {% capture file %}
                {{- page.file -}}
        {% endcapture %}
        {% capture title %}
                {{- page.title -}}
        {% endcapture %}

        {% if page.file %}
        <div class = "player-container">
            <audio id="player" controls>
                <source src="{{ file }}" type="audio/mp3" />
            </audio>
        </div>
        {% endif %}

        {{ content }}
</div>
""",
        "_includes/player.html": """<div class = "player-container">
    <audio id="player" crossorigin playsinline data-plyr-config='{ "title": "{{include.title}}" }'>
        <source src="/assets/audio/{{page.filename}}.mp3" type="audio/mp3" />
    </audio>
</div>""",
        "podcast.rss": """---
---

<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" xml:lang="{{ site.podcast_lang }}">
\t<channel>
\t\t<title>{{ site.title }}</title>
\t\t<language>{{ site.podcast_lang }}</language>
\t\t{% for post in site.posts %}{% if post.file or post.filename %}
\t\t\t<item>
\t\t\t\t<title>{{ post.title | xml_escape }}</title>
\t\t\t\t<enclosure url="{% if post.file %}{{ post.file }}{% else %}{{ site.url }}/assets/audio/{{ post.filename }}.mp3{% endif %}" type="audio/mp3"/>
\t\t\t</item>
\t\t{% endif %}{% endfor %}
\t</channel>
</rss>""",
        "categories.md": "---\nlayout: default\ntitle: Categorie\n---\n\nTutte le categorie del podcast.\n",
        "_posts/2019-11-17-parliamo-di-terzani.md": """---
title: Parliamo di Tiziano Terzani - Arte della Lettura Podcast
layout: post
categories: [Parliamo di, Intervista]
description: "In questo episodio parliamo di Tiziano Terzani."
file: {REMOTE}/adlpodcast/ep5_terzani.mp3 #Link to your .mp3 file
length: "52:14" # mm:ss
type: main # I use this to split main episodes to extra ones
---
""",
        "_posts/2020-05-26-wrap-up-maggio.md": """---
title: Wrap up di maggio
layout: post
categories: [Wrap up]
description: "I libri letti a maggio"
episode-title: Episodio 2
filename: ep2
---

I libri del mese.

{% include player.html %}
""",
        "_posts/2020-06-01-solo-testo.md": """---
title: Un post senza audio
layout: post
categories: [Blog]
description: "Solo testo"
---

Questo post non ha un episodio.
""",
        "assets/audio/ep2.mp3": Fixture("welcome.mp3"),
    },
    expected={
        "_posts/2019-11-17-parliamo-di-terzani.md": ["{REMOTE}/adlpodcast/ep5_terzani.mp3"],
        "_posts/2020-05-26-wrap-up-maggio.md": ["assets/audio/ep2.mp3"],
    },
    remote={"/adlpodcast/ep5_terzani.mp3": "welcome.mp3"},
)


# 5. andybalaam/Jekyll-Podcast-Feed: `podcast_link: /audio/<name>` without an extension; the
#    include adds `.ogg` and `.mp3`; the files sit in `audio/` at the root; two feeds.

PODCAST_FEED = SiteSpec(
    name="podcast-feed", inspiration="andybalaam/Jekyll-Podcast-Feed",
    files={
        "_config.yml": """title: Example podcast site
email: your-email@domain.com
description: This is an example of a site with podcast feeds
baseurl: ""
url: ""
markdown: kramdown
plugins:
  - jekyll-feed
podcast_url: "http://127.0.0.1:4000"
podcast_album_art: /images/mypodcast.jpg
podcast_title: My Example Podcast
podcast_owner: Owner Name
podcast_category: Technology             # For iTunes categories see:
podcast_explicit: "no"
""",
        **_shared("Posts"),
        "_layouts/post.html": """---
layout: default
---
<article class="post">
  <h1 class="post-title">{{ page.title | escape }}</h1>
  <p class="post-meta">{{ page.date | date: "%b %-d, %Y" }}</p>
  <div class="post-content">
    {{ content }}
  </div>
</article>
""",
        "_includes/audio.html": """<audio preload="none" style="width: 100%;" controls="controls">
    <source type="audio/ogg" src="{{ site.podcast_url }}{{ page.podcast_link }}.ogg" />
    <source type="audio/mp3" src="{{ site.podcast_url }}{{ page.podcast_link }}.mp3" />
    <a href=""></a>
</audio>
""",
        "_includes/podcast.xml": """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">
<channel>
    <title>{{ site.podcast_title }}</title>
    <language>en-GB</language>
  {% for ep in site.categories.podcast %}
    <item>
        <title>{{ ep.title }}</title>
        <link>{{ site.podcast_url }}{{ ep.url }}</link>
        <enclosure url="{{ site.podcast_url }}{{ ep.podcast_link }}.{{ include.ext }}" \
type="audio/{% if include.ext == "mp3" %}mpeg{% else %}{{ include.ext }}{% endif %}" />
    </item>
  {% endfor %}
</channel>
</rss>
""",
        **{f"podcast-{ext}.xml": _doc("layout: null\n", '{% include podcast.xml ext="' + ext + '" %}\n') for ext in ("mp3", "ogg")},
        "about.md": "---\nlayout: default\ntitle: About\npermalink: /about/\n---\n\nThis is an example podcast site.\n",
        "_posts/2017-02-09-another-post.markdown": """---
layout: post
title:  "Another post"
date:   2017-02-09 02:07:00 +0000
categories: blog
---
This post is not in the podcast category so it will not appear in the podcast feeds.
""",
        "_posts/2017-02-10-second-podcast.markdown": """---
layout: post
title:  "Second Podcast"
date:   2017-02-10 02:07:00 +0000
categories: podcast
podcast_link: /audio/free-software-song
---
This post is in the podcast category so it will be included in your podcast RSS
feeds.

{% include audio.html %}

Notice that there is no file extension on the link - it will be added based
on the type of feed (ogg or mp3).
""",
        "audio/free-software-song.mp3": Fixture("welcome.mp3"),
        "audio/free-software-song.ogg": Fixture("welcome.ogg"),
    },
    expected={"_posts/2017-02-10-second-podcast.markdown": ["audio/free-software-song.mp3", "audio/free-software-song.ogg"]},
)


# 6. joebuhlig/Jekyll-Podcast-Feed: a libsyn URL in `podcast_link:`, the feed at
#    `feed/podcast/index.xml`; the show lives under a path (`baseurl`), and two posts reach their audio
#    from the body: an HTML <audio><source> and a Markdown link.

WHADDYA = SiteSpec(
    name="whaddya-know-joe", inspiration="joebuhlig/Jekyll-Podcast-Feed",
    files={
        "_config.yml": """title: Whaddya Know Joe?
url: "http://joe.example.com"
baseurl: "/whaddyaknowjoe"
podcast_url: http://joe.example.com/whaddyaknowjoe
podcast_album_art: /assets/base/Whaddya-Know-Joe-Album-Art.png
podcast_title: Whaddya Know Joe?
podcast_owner: Joe
podcast_email: email@example.com
podcast_category: Technology
podcast_explicit: "no"
podcast_author: Joe
podcast_description: Productivity stories from the trenches.
""",
        **_shared("Whaddya Know Joe?"),
        "_layouts/post.html": _post_layout("""\
  {% if page.image %}<img src="{{ page.image | relative_url }}" alt="">{% endif %}
  {% if page.podcast_link %}
  <audio controls src="{{ page.podcast_link }}"></audio>
  <p>{{ page.podcast_duration }} &middot; {{ page.podcast_file_size }}</p>
  {% endif %}
"""),
        "feed/podcast/index.xml": """---
layout: null
---
<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"
xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"
>
<channel>
<title>{{ site.podcast_title }}</title>
<link>{{ site.url }}</link>
<language>en-US</language>
{% for ep in site.categories.podcast %}
  <item>
    <title>{{ ep.title }}</title>
    <link>{{ site.url }}{{ ep.url }}</link>
    <enclosure url="{{ ep.podcast_link }}" length="{{ ep.podcast_length }}" type="audio/mpeg" />
    <itunes:duration>{{ ep.podcast_duration }}</itunes:duration>
  </item>
{% endfor %}
</channel>
</rss>""",
        "contact.md": "---\nlayout: default\ntitle: Contact\n---\n\nWrite to email@example.com.\n",
        "_posts/2015-10-20-why-i-dont-use-ads.md": """---
title:  "10: Why I Don't Use Ads"
date:   2015-10-20
categories: podcast
tags:
- ads
permalink: /10/
podcast_link: {REMOTE}/whaddyaknowjoe/WKJ010.mp3
podcast_file_size: 0.1 MB
podcast_duration: "0:09"
podcast_length: 148001
layout: post
---

Podcast description.
<!--more-->

Any show notes?
""",
        "_posts/2015-10-27-the-inbox.md": """---
title:  "11: The Inbox"
date:   2015-10-27
categories: podcast
permalink: /11/
layout: post
---

Listen here:

<audio controls preload="metadata">
  <source src="{{ site.baseurl }}/assets/audio/WKJ011.mp3" type="audio/mpeg">
  Your browser does not support the audio element.
</audio>
""",
        "_posts/2015-11-03-weekly-review.md": """---
title:  "12: The Weekly Review"
date:   2015-11-03
categories: podcast
permalink: /12/
layout: post
---

A short one this week. [Download the episode](/whaddyaknowjoe/assets/audio/WKJ012.wav) (WAV, 90 KB).
""",
        "_posts/2015-11-10-housekeeping.md": """---
title:  "Housekeeping"
date:   2015-11-10
layout: post
---

No episode this week; the [archive](/whaddyaknowjoe/) has all of them.
""",
        "assets/audio/WKJ011.mp3": Fixture("welcome.mp3"),
        "assets/audio/WKJ012.wav": Fixture("goforward.wav"),
    },
    expected={
        "_posts/2015-10-20-why-i-dont-use-ads.md": ["{REMOTE}/whaddyaknowjoe/WKJ010.mp3"],
        "_posts/2015-10-27-the-inbox.md": ["assets/audio/WKJ011.mp3"],
        "_posts/2015-11-03-weekly-review.md": ["assets/audio/WKJ012.wav"],
    },
    remote={"/whaddyaknowjoe/WKJ010.mp3": "welcome.mp3"},
)


# 7. niclindh/jekyll-podcast-template: `media: <bare name>`; the layout (a whole HTML page) prefixes
#    `/podcasts/`; feed `episodes.rss`. One episode's file is a Git LFS pointer (cloned without LFS).

EXAMPLE_POD = SiteSpec(
    name="example-pod", inspiration="niclindh/jekyll-podcast-template",
    files={
        "_config.yml": """exclude: ['README.md', 'preview.sh']

# Used to generate the site
title: "Example Pod"
email: "your-email@example.com"
description: "Brief description of your podcast"
baseurl: "" # the subpath of your site, e.g. /blog/
url: "http://example.com" # the base hostname & protocol for your site

# Used to generate the iTunes-compatible RSS feed
podcast:
  owner:
    name: Your Name
    email: your-podcast-email@example.com
  explicit: "no"
  image: /img/generic-2000.png
  keywords: "news"
  categories:
    - category: "News"

# Build settings
markdown: kramdown
kramdown:
  input: GFM
  hard_wrap: false
""",
        **_shared("Example Pod"),
        ".gitattributes": "*.mp3 filter=lfs diff=lfs merge=lfs -text\n",
        "README.md": "# Example Pod\n\nA podcast template.\n",
        "_layouts/page.html": PAGE_LAYOUT,
        "_layouts/post.html": """<!DOCTYPE html>
<html>
  <head><meta charset="utf-8"><title>{{ page.title }}</title></head>
  <body>
    <div class="page-content">
      <div class="wrapper">
      \t<h1 style="margin-bottom: 0;">{{ page.title }}</h1>
      \t<p>{{ page.date | date: "%-d %B %Y" }}</p>
        <audio preload="metadata" controls="" style="width:100%;">
\t\t\t  <source src="/podcasts/{{ page.media }}" type="audio/mpeg">
\t\t\tSadness. Your browser does not support the audio element.
\t\t\t</audio>
\t\t\t<div style="padding-top: 20px;"><a href="/podcasts/{{ page.media }}">Download MP3</a> | <a href="/episodes.rss">Subscribe to the podcast</a>
\t\t\t</div>
\t<div style="padding-top: 20px;">
        {{ content }}
    </div>
      </div>
    </div>
</body>
</html>
""",
        "episodes.rss": """---

---
<?xml version="1.0" encoding="UTF-8"?>
<rss xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" version="2.0">
<channel>
\t<title>{{ site.title }}</title>
\t<language>en-US</language>
{% for post in site.posts %}
\t<item>
\t\t<title>{{ post.title | xml_escape }}</title>
\t\t<enclosure url="{{ site.url }}/podcasts/{{ post.media }}" length="{{ post.length }}" type="audio/mpeg" />
\t</item>
\t{% endfor %}
</channel>
</rss>
""",
        "about.md": "---\nlayout: page\ntitle: About\npermalink: /about/\n---\n\nThis is the about page.\n",
        "_posts/2015-02-23-audio-readme-file.md": """---
layout: post
permalink: episodes/1/
title: "Episode 1: Read me"
excerpt: "How to use this template."
date: 2015-02-23 02:00:00
media: generic-1.mp3
length: 342312
duration: "00:00:19"
explicit: "no"
---

How to use this template.
""",
        "_posts/2015-02-24-all-filler-no-killer.md": """---
layout: post
permalink: episodes/2/
title: "Episode 2: All filler no killer"
excerpt: "This episode only exists so that there can be two episodes."
date: 2015-02-24 02:00:00
media: generic-2.mp3
length: 148001
duration: "00:00:09"
explicit: "no"
---

There's really no reason to listen to this. All filler, no killer.""",
        "podcasts/generic-1.mp3": LFS_POINTER,
        "podcasts/generic-2.mp3": Fixture("welcome.mp3"),
    },
    expected={"_posts/2015-02-24-all-filler-no-killer.md": ["podcasts/generic-2.mp3"]},
    problems={"_posts/2015-02-23-audio-readme-file.md": "git lfs pull"},
)


# 8. andytlr/ollie-talking-shit: a Dropbox URL in the generic key `link:` with %20 in it; two posts
#    share one episode; a draft episode; a page whose `link:` is a web page, not audio.

_OLLIE = "/u/21267/Podcasts/Ollie%20Talking%20Shit/Ollie%20Talking%20Shit%20Ep%20{n}.{ext}"
_OLLIE_1, _OLLIE_2, _OLLIE_3 = _OLLIE.format(n=1, ext="mp3"), _OLLIE.format(n=2, ext="mp3"), _OLLIE.format(n=3, ext="m4a")
_OLLIE_EP1 = {"date": "2014-12-28 20:25:00", "duration": "00:09", "length": 148001, "episode": _OLLIE_1}  # posted twice


def _ollie_post(title: str, body: str, *, duration: str, episode: str, date: str = "", length: int = 0) -> str:
    """A post of the show: `date:` and `length:` when known, `link:` to `episode` on Dropbox, then `body`."""
    fields = "layout: post\n" + (f"date: {date}\n" if date else "") + f'title: "{title}"\nduration: "{duration}"\n' + (f"length: {length}\n" if length else "")
    return _doc(fields + f"link: {REMOTE}{episode}\n", f"\n{body}\n")


OLLIE = SiteSpec(
    name="ollie", inspiration="andytlr/ollie-talking-shit",
    files={
        "_config.yml": """# Podcast Settings
title: Ollie Talking
subtitle: Sporadic recordings of Ollie learning to talk.
owner: Andy
email: hi@example.com
copyright_year: 2014
keywords: kid,learning,talking,australian
baseurl: "" # the subpath of your site, e.g. /blog/
url: "http://ollie.example.com/" # the base hostname & protocol for your site
itunes_category_one: "Kids &amp; Family"

# Build settings
markdown: kramdown
permalink: pretty
exclude: ["*.psd", "CNAME", "README.md"]
""",
        **_shared("Ollie Talking"),
        "CNAME": "ollie.example.com\n",
        "_layouts/post.html": """---
layout: default
---

<div class="post">
  <h2 class="post-title">{{ page.title }}</h2>

  <p>{{ page.date | date: "%b %-d, %Y" }} &middot; {{ page.duration }} &middot; <a href="{{ page.link }}">Download</a></p>

  <audio controls preload="metadata">
    <source src="{{ page.link }}" type="audio/mpeg">
  </audio>

  <div>{{ content }}</div>
</div>
""",
        "feed.xml": _feed(
            "<title>{{ site.title }}</title>\n",
            "site.posts",
            '<enclosure url="{{ post.link }}" length="{{ post.length }}" type="audio/mpeg"/>\n<itunes:duration>{{ post.duration }}</itunes:duration>\n',
            front_matter="layout: none\n",
            rss='<rss xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" version="2.0">',
        ),
        "about.md": """---
layout: default
title: About
link: {REMOTE}/about/andy.html
---

Made by [Andy]({{ page.link }}).
""",
        "_posts/2014-12-28-ep1.md": _ollie_post("Ep 1: G'day, purple, yum yum.", "G'day, purple, yum yum.", **_OLLIE_EP1),
        "_posts/2014-12-28-ep1-gday-purple-yumyum.md": _ollie_post("Ep 1 (again): G'day.", "The same recording, posted twice by mistake.", **_OLLIE_EP1),
        "_posts/2015-01-02-ep2-what-noise-does-mummy-make.md": _ollie_post(
            "Ep 2: What Noise Does Mummy Make?",
            "Duck, oink oink oink, quack, noooo, I love you (ok), And the best g'day yet.",
            date="2015-01-02 19:50:00", duration="01:04", length=516869, episode=_OLLIE_2,
        ),
        "_drafts/ep3-test-post.md": _ollie_post("Ep 3: Test", "Not published yet.", duration="00:03", episode=_OLLIE_3),
    },
    expected={
        "_posts/2014-12-28-ep1.md": [REMOTE + _OLLIE_1],
        "_posts/2014-12-28-ep1-gday-purple-yumyum.md": [REMOTE + _OLLIE_1],
        "_posts/2015-01-02-ep2-what-noise-does-mummy-make.md": [REMOTE + _OLLIE_2],
        "_drafts/ep3-test-post.md": [REMOTE + _OLLIE_3],
    },
    remote={
        _OLLIE_1: "welcome.mp3",
        _OLLIE_2: "episode-12.mp3",
        _OLLIE_3: "welcome.m4a",
        "/about/andy.html": "episode-12.txt",  # a text page (served as text/html), never audio
    },
)


# 9. 44bits/stdout.fm: `enclosure: {url:, length:}` on a CDN (and, on another post, the string form),
#    `permalink: /69/`, a Korean show with no language key anywhere, chapter links in the body.

STDOUT = SiteSpec(
    name="stdout", inspiration="44bits/stdout.fm",
    files={
        "_config.yml": """# Site settings
title: stdout.example
description: >- # this means to ignore newlines until "baseurl:"
  소프트웨어 개발, 테크 뉴스, 전자제품에 대해 잡담하는 팟캐스트.
url: "https://stdout.example" # the base hostname & protocol for your site, e.g. http://example.com
keywords: ["podcast", "software", "팟캐스트", "개발"]

# Build settings
markdown: kramdown

owner:
  name: stdout.example
  email: stdout@example.com
""",
        **_shared("stdout"),
        "_layouts/post.html": """---
layout: default
---

<div id="post">
  <header class="post-header">
    <h1 title="{{ page.title | escape }}">{{ page.title }}</h1>
    <span class="post-date">{{ page.date | date: "%Y-%m-%-d" }}</span>
  </header>

  <article class="post-content">
    {% assign src = page.enclosure.url | default: page.enclosure %}
    <div class="audio-player">
      <audio 
        src="{{ src }}" 
        class="mejs__player"
        preload="none" 
        controls="controls">
      </audio>
    </div>
    {{ content }}
  </article>
</div>
""",
        "feed.xml": _compact_feed(
            "layout: null\n",
            "<title>{{ site.title }}</title>",
            '<enclosure url="{{ src }}" length="{{ post.enclosure.length }}" type="audio/mpeg"/>',
            each="{% assign src = post.enclosure.url | default: post.enclosure %}",
            end="\n{% endfor %}",
        ),
        "_posts/2020-02-03-stdout_069.md": """---
layout: post
title: "스탠다드아웃_069.log: S3 인텔리전트 티어링"
permalink: /69/
contributors:
  - name: 'raccoonyy'
    uri: 'https://twitter.com/raccoonyy'
duration: "00:00:09"
enclosure:
  url: {REMOTE}/meta/episode_audio/513940/188843_1580687432815.mp3
  length: 148001
  type: audio/mpeg
---

스탠다드아웃 69번째 로그입니다.

## 주제별 바로 듣기
* <a href="#" onclick="jumpPlayer(0.0); return false;">00:00:00 69번째 에피소드 시작</a>
* <a href="#" onclick="jumpPlayer(4.0); return false;">00:00:04 단신</a>
""",
        "_posts/2020-02-10-stdout_070.md": """---
layout: post
title: "스탠다드아웃_070.log: 짧은 공지"
permalink: /70/
duration: "00:00:03"
enclosure: {REMOTE}/meta/episode_audio/513940/188843_1581292800000.m4a
---

짧은 공지입니다.
""",
        "_posts/2020-02-11-patreon.md": """---
layout: default
title: "후원 안내"
---

정기 후원 - [Patreon](https://www.patreon.com/)
""",
    },
    expected={
        "_posts/2020-02-03-stdout_069.md": ["{REMOTE}/meta/episode_audio/513940/188843_1580687432815.mp3"],
        "_posts/2020-02-10-stdout_070.md": ["{REMOTE}/meta/episode_audio/513940/188843_1581292800000.m4a"],
    },
    remote={
        "/meta/episode_audio/513940/188843_1580687432815.mp3": "welcome.mp3",
        "/meta/episode_audio/513940/188843_1581292800000.m4a": "welcome.m4a",
    },
)


# 10. vmware-tanzu/thepodlets: episodes are a collection (`_episodes`, output: true) with the layout
#     set by `defaults:`; audio in `media/` (key `mp3:`); one episode in two recorded halves
#     (`audio_files:`, the shape the issue reports); one episode is video only; a `hosts` collection.

PODLETS = SiteSpec(
    name="podlets", inspiration="vmware-tanzu/thepodlets",
    files={
        "_config.yml": """# Site settings
title: The Podlets
email:
author: The Podlets Authors
description:
url:
podcast: the-podlets

defaults:
  - scope:
      path: "" # an empty string here means all files in the project
      type: "episodes"
    values:
      layout: "episodes"
  - scope:
      path: ""
      type: "pages"
    values:
      layout: "default"

collections:
  episodes:
    output: true
  hosts:
    output: false

# Build settings
permalink: /:title/  # the real site has `:title/`, which Ruby 3.1 YAML reads as a Symbol and Jekyll 4.3 refuses

plugins:
  - jekyll-feed # Create an Atom feed using the official Jekyll feed gem
""",
        **_shared(None),
        "_layouts/episodes.html": """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{{ page.title }} - {{ site.title }}</title></head>
<body id="episode">
  <h1 class="mb-15">{{ page.title }}</h1>
  <h5 class="mb-4">Episode: {{ page.episode_number }}</h5>
  <p class="b2">{{ page.description }}</p>

  <!-- VIDEO -->
  {% if page.video %}
  <iframe class="embed-responsive-item" src="{{ page.video }}"></iframe>
  {% endif %}

  <!-- AUDIO -->
  {% if page.mp3 %}
  <audio controls src="{{ page.mp3 | relative_url }}"></audio>
  {% endif %}
  {% for part in page.audio_files %}
  <p>{{ part.file_name }}</p>
  <audio controls src="{{ part.file_path | relative_url }}"></audio>
  {% endfor %}

  <!-- TRANSCRIPT -->
  <div class="collapse" id="transcriptPanel">
    {{ content }}
  </div>
</body>
</html>
""",
        "index.html": """---
title: The Podlets
---
{% for episode in site.episodes %}<a href="{{ episode.url | relative_url }}">{{ episode.title }}</a>
{% endfor %}
""",
        "community.md": "---\ntitle: Community\n---\n\nJoin us on Slack.\n",
        "_hosts/01-carlisia.md": "---\nname: Carlisia\n---\n\nHost.\n",
        "_episodes/001-cloud-native.md": """---
episode_id: 001-cloud-native
episode_number: 1
title: Cloud Native
description: What is cloud native?
hosts:
    - name: Carlisia
      url: https://twitter.com/example
mp3: /media/001-cloud-native.mp3
video: https://www.youtube.com/embed/example1
related: # appears in sidebar
- 002-two-halves
---

EPISODE 01

[INTRODUCTION]

[0:00:00.0] ANNOUNCER: This is where our own notes of the episode go.
""",
        "_episodes/002-two-halves.md": """---
episode_id: 002-two-halves
episode_number: 2
title: Two Halves
description: Recorded in two sittings.
audio_files:
  - file_name: First half
    file_path: /media/002/part-1.wav
  - file_name: Second half
    file_path: /media/002/part-2.wav
---

Recorded in two sittings.
""",
        "_episodes/003-video-only.md": """---
episode_id: 003-video-only
episode_number: 3
title: Video Only
description: This one was a livestream.
video: https://www.youtube.com/embed/example3
---

Only on video.
""",
        "media/001-cloud-native.mp3": Fixture("welcome.mp3"),
        "media/002/part-1.wav": Fixture("cards-001.wav"),
        "media/002/part-2.wav": Fixture("goforward.wav"),
    },
    expected={
        "_episodes/001-cloud-native.md": ["media/001-cloud-native.mp3"],
        "_episodes/002-two-halves.md": ["media/002/part-1.wav", "media/002/part-2.wav"],
    },
    episode_layout="_layouts/episodes.html",
    parts=frozenset({"_episodes/002-two-halves.md"}),
)


# 11. jinyuzu99/jekyll-podcast: `audio:` holds a site path the layout passes through
#     `absolute_url` (so no baseurl in it) while the site lives under `baseurl: /blog`; the podcast's
#     language is `podcast.lang: en_US`; post file names with one-digit months; feed `podcast.xml`.

JINYUZU = SiteSpec(
    name="jekyll-podcast-layout", inspiration="jinyuzu99/jekyll-podcast",
    files={
        "_config.yml": """title: Melu's Blog
url: "https://melu.example.net"
baseurl: /blog

# Add the configs below to your jekyll _config.yml
podcast:
  title: Melu Talks
  description: Talking about things.
  url: /podcast.xml
  author: Melu
  email: melu@example.net
  logo: /my-logo.png
  lang: en_US # http://www.loc.gov/standards/iso639-2/php/code_list.php
  category: Technology
  explicit: false # true or false
  complete: no # yes or no
""",
        **_shared("Melu's Blog"),
        "_layouts/post.html": _post_layout('  <time>{{ page.date | date: "%Y.%m.%d" }}</time>\n', before="\n"),
        "_layouts/podcast.html": """---
layout: post
---

<br><br>
<audio controls preload="auto">
  <source src="{{ page.audio | absolute_url }}">
</audio>
<br>

{{ content }}""",
        "podcast.xml": _feed(
            "<title>{{ site.podcast.title }}</title>\n<language>{{ site.podcast.lang }}</language>\n",
            "site.categories.podcast",
            '<enclosure url="{{ post.audio | absolute_url }}" length="{{ post.length }}" type="audio/x-m4a"/>\n'
            "<itunes:episode>{{ post.episode }}</itunes:episode>\n",
        ),
        "_posts/2019-4-1-hello.md": "---\nlayout: post\ntitle: Hello\n---\n\nMy blog, now with a podcast.\n",
        "_posts/2019-4-6-sample.md": """---
layout: podcast
categories: podcast
title: The First Episode
author: Melu # podcast author
season: 1
episode: 1
episodeType: full # full, trailer or bonus
explicit: false # true or false
audio: /audio/melu-talks-1.m4a
length: 9 # audio length in seconds
---

Show notes.
""",
        "audio/melu-talks-1.m4a": Fixture("welcome.m4a"),
    },
    expected={"_posts/2019-4-6-sample.md": ["audio/melu-talks-1.m4a"]},
    episode_layout="_layouts/podcast.html",
)


SPECS: list[SiteSpec] = [
    OCTOPOD,
    OCTOPOD_DOWNLOAD_URL,
    JEKYLL_PODCAST,
    PODCASTER,
    PODCAST_FEED,
    WHADDYA,
    EXAMPLE_POD,
    OLLIE,
    STDOUT,
    PODLETS,
    JINYUZU,
]
