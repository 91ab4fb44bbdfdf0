"""Helpers of the offline query parser (`core.search.query_parser`) that read words before the rules do.

`numbers` turns numbers written in words and money fractions into digits ("ninety minutes",
"half a billion"); `rewrite` applies it with the phrase rewrites ("w/o", "anything but"); `negation`
holds the negation vocabulary and its scope; `mending` maps word forms and light typos onto the
parser's fixed vocabulary by edit distance.
"""
