"""The format-keeping edit kit: change a template's text without re-dumping it.

The user's file is parsed with the position of every key and value (:mod:`.document`); the
fixes record character edits of it (:mod:`.textedit`, which also makes line edits and patches)
through operations that insert, set and rename entries placed and indented like the lines
around them (:mod:`.operations`); new values are written in the file's own style
(:mod:`.render`); lines holding secret-bearing values never show as patch context
(:mod:`.hidden`); :mod:`.source` finds the user's file behind a stack and checks it is what was
analysed.
"""
