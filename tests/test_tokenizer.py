"""The tokenizer: real rustbpe training, tiktoken encoding, round trips, special tokens, save/load."""

import pytest

from schemas.settings import InputError
from tests.trainer_data import CODE, small_tokenizer
from trainer.tokenizer import SPECIAL_TOKENS, Tokenizer

SAMPLES = [
    CODE,
    "def f():\n    if x:\n        return {\n            'k': [1, 2, 3],\n        }\n\n\n\tpass\n",
    "trailing   \n\n   \t\nmixed\t \t indent\r\nwindows\r\n",
    "unicode: héllo wörld, 中文字符, emoji 😀👍🏽, Ελληνικά, عربى, \u200b zero-width",
    "numbers 1234567890 3.14159 -42 0x1F 2026-11-22T05:00:00Z",
    "",
    " ",
    "\n",
    "a" * 1000,
]


def test_round_trip_code_and_unicode():
    tok = small_tokenizer()
    for text in SAMPLES:
        ids = tok.encode(text)
        assert tok.decode(ids) == text, repr(text)
        assert all(0 <= i < tok.vocab_size - len(SPECIAL_TOKENS) for i in ids)


def test_indentation_is_learned_as_whole_tokens():
    tok = small_tokenizer()
    # "\n\t\t" and "\n    " occur in the training text: each line break + indentation is a single token
    pieces = [tok.decode([i]) for i in tok.encode("x:\n\t\traise E\n    return 1\n")]
    assert "\n\t\t" in pieces and "\n    " in pieces, pieces


def test_digits_split_in_groups_of_at_most_three():
    tok = small_tokenizer()
    for i in tok.encode("1234567 and 99999"):
        piece = tok.decode([i])
        assert not (piece.strip().isdigit() and len(piece.strip()) > 3), piece


def test_special_tokens_have_ids_and_names():
    tok = small_tokenizer()
    assert list(tok.specials) == SPECIAL_TOKENS
    ids = [tok.special(name) for name in SPECIAL_TOKENS]
    assert len(set(ids)) == len(SPECIAL_TOKENS) and max(ids) == tok.vocab_size - 1
    for name, i in zip(SPECIAL_TOKENS, ids, strict=True):
        assert tok.decode([i]) == name
        assert tok.is_special(i) and tok.special_name(i) == name
    assert tok.decode(ids) == "".join(SPECIAL_TOKENS)
    with pytest.raises(KeyError, match="unknown special token"):
        tok.special("<|eos|>")


def test_token_byte_lengths_add_up_to_utf8_bytes():
    tok = small_tokenizer()
    lengths = tok.token_byte_lengths()
    assert len(lengths) == tok.vocab_size and all(lengths[tok.special(n)] == 0 for n in SPECIAL_TOKENS)
    for text in SAMPLES:
        assert sum(lengths[i] for i in tok.encode(text)) == len(text.encode())
    assert tok.token_bytes(tok.encode("def")[0]) == tok.decode([tok.encode("def")[0]]).encode()


def test_special_text_is_never_a_special_id():
    tok = small_tokenizer()
    text = "".join(SPECIAL_TOKENS) + " user said <|bos|> and <|assistant_end|>"
    ids = tok.encode(text)
    assert not any(tok.is_special(i) for i in ids)
    assert tok.decode(ids) == text


def test_vocab_size_and_too_small():
    tok = small_tokenizer()
    # the hand-made corpus runs out of pairs before 600: fewer merges, specials still right after them
    assert tok.vocab_size <= 600 and tok.vocab_size == len(tok.mergeable_ranks) + len(SPECIAL_TOKENS)
    big = Tokenizer.train([CODE + SAMPLES[3]] * 3 + [f"w{i} {i * 7919}" for i in range(3000)], 400)
    assert big.vocab_size == 400
    with pytest.raises(InputError, match="too small"):
        Tokenizer.train(["abc"], 100)


def test_save_load_same_id_and_ids(tmp_path):
    tok = small_tokenizer()
    tok.save(tmp_path / "tok")
    tok.save(tmp_path / "tok")  # overwriting an existing tokenizer works (atomic swap)
    loaded = Tokenizer.load(tmp_path / "tok")
    assert loaded.id == tok.id and loaded.vocab_size == tok.vocab_size and loaded.specials == tok.specials
    for text in SAMPLES:
        assert loaded.encode(text) == tok.encode(text)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tok"]  # no temp dirs left behind
    with pytest.raises(InputError, match="no tokenizer"):
        Tokenizer.load(tmp_path / "missing")


def test_id_depends_on_content():
    a = Tokenizer.train(["hello hello world"] * 3, 300)
    b = Tokenizer.train(["goodbye goodbye moon"] * 3, 300)
    assert a.id != b.id
    assert Tokenizer.train(["hello hello world"] * 3, 300).id == a.id  # deterministic


def test_cli_trains_on_raw_jsonl(tmp_path, capsys):
    import json

    from tests.trainer_data import identity_record, tool_use_record
    from trainer.scripts.tokenizer import main

    raw = tmp_path / "corpora" / "lanbot" / "raw" / "identity"
    raw.mkdir(parents=True)
    lines = [json.dumps(r) for r in [tool_use_record(), *(identity_record(i) for i in range(5))]]
    (raw / "part-000.jsonl").write_text("\n".join(lines) + "\n")
    assert main([f"root={tmp_path / 'corpora'}", "persona=lanbot", "vocab=400"]) == 0
    out = capsys.readouterr().out
    assert "raw JSONL" in out and "on 6 documents" in out
    tok = Tokenizer.load(tmp_path / "corpora" / "lanbot" / "tokenizer")
    assert tok.vocab_size <= 400
    with pytest.raises(InputError, match="no corpus"):
        main([f"root={tmp_path / 'corpora'}", "persona=nobody"])


def test_cli_input_list_and_bad_numbers(tmp_path, capsys):
    import polars as pl

    from trainer.scripts.tokenizer import main

    pl.DataFrame({"text": [CODE, "plain prose for the mixture"]}).write_parquet(tmp_path / "text.parquet")
    (tmp_path / "chat.jsonl").write_text('{"messages": [{"role": "user", "content": "hi"}]}\n')
    inputs = f"{tmp_path / 'text.parquet'},{tmp_path / 'chat.jsonl'}"
    assert main([f"input={inputs}", f"out={tmp_path / 'tok'}", "vocab=300"]) == 0
    assert "on 3 documents" in capsys.readouterr().out
    with pytest.raises(InputError, match="vocab must be an integer"):
        main([f"input={inputs}", "vocab=lots"])
    with pytest.raises(InputError, match="does not exist"):
        main([f"input={tmp_path / 'nope.jsonl'}"])
