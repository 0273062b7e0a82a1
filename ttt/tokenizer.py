"""The project's own compact tokenizer: one token per character of the "compact" grid format.

Vocabulary (17 tokens): the 10 colour digits, newline, the input marker ``I``, the output
marker ``O``, the end-of-example marker ``E`` (also the tokenizer's eos), and the specials
``<pad>``, ``<s>`` (bos, prepended automatically) and ``<unk>`` (anything else, so a stray
character is visible instead of silently dropped). Built in-process with ``tokenizers``;
nothing is downloaded. Heavy imports stay inside the function.
"""

from __future__ import annotations

INPUT_MARK = "I"
OUTPUT_MARK = "O"
END_MARK = "E"
PAD, BOS, UNK = "<pad>", "<s>", "<unk>"

# Order fixes the ids: specials first so pad is 0 and embeddings of real symbols follow.
VOCAB: tuple[str, ...] = (PAD, BOS, UNK, *"0123456789", "\n", INPUT_MARK, OUTPUT_MARK, END_MARK)


def build_compact_tokenizer():
    """A ``transformers.PreTrainedTokenizerFast`` over VOCAB that splits every character.

    bos is added in front of every encoded text (its offset is (0, 0)); pad, bos, eos and unk
    ids are set; ``save_pretrained``/``from_pretrained`` round-trip.
    """
    from tokenizers import Regex, Tokenizer, decoders, pre_tokenizers, processors
    from tokenizers.models import WordLevel
    from transformers import PreTrainedTokenizerFast

    vocab = {tok: i for i, tok in enumerate(VOCAB)}
    tok = Tokenizer(WordLevel(vocab=vocab, unk_token=UNK))
    # Every character, newline included, is its own pre-token; WordLevel maps it to an id.
    tok.pre_tokenizer = pre_tokenizers.Split(Regex(r"[\s\S]"), behavior="isolated")
    tok.decoder = decoders.Fuse()  # characters join back with nothing between them
    tok.post_processor = processors.TemplateProcessing(
        single=f"{BOS} $A", pair=f"{BOS} $A $B", special_tokens=[(BOS, vocab[BOS])]
    )
    tok.add_special_tokens([PAD, BOS, UNK])
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token=BOS,
        eos_token=END_MARK,
        pad_token=PAD,
        unk_token=UNK,
        padding_side="right",
        clean_up_tokenization_spaces=False,
        model_max_length=1_000_000,
    )
