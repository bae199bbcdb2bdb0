"""What a package keeps of a text: keep, mask (word shapes), drop."""

from __future__ import annotations

import pytest

from trendwatch.errors import ParameterError
from trendwatch.exports.textmask import mask_text, text_transform, word_shape


def test_word_shapes_by_hand():
    assert word_shape("Dorsani") == "Xxxxxxx"
    assert word_shape("2027") == "9999"
    assert word_shape("ÉcoleB2") == "XxxxxX9"


def test_mask_keeps_hashtags_urls_and_mentions_and_punctuation():
    text = "Vote Dorsani, now! #Dorsani2027 https://t.co/AbC @h_0123 x.com/h_1/status/p_2"
    assert mask_text(text) == (
        "Xxxx Xxxxxxx, xxx! #Dorsani2027 https://t.co/AbC @h_0123 x.com/h_1/status/p_2"
    )


def test_identical_texts_keep_identical_masks_and_lengths():
    a = "Ce harcèlement est indigne."
    assert mask_text(a) == mask_text(a) and len(mask_text(a)) == len(a)


def test_text_transform_modes():
    assert text_transform("keep", None)("Hi @a") == "Hi @a"
    assert text_transform("keep", lambda t: t.replace("@a", "@h"))("Hi @a") == "Hi @h"
    assert text_transform("mask", None)("Hi there") == "Xx xxxxx"
    assert text_transform("drop", None)("Hi") is None
    with pytest.raises(ParameterError, match="keep, mask, drop"):
        text_transform("blur", None)
