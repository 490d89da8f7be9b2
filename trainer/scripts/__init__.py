"""The trainer's command-line entry points, one flat script per command (`python -m trainer <command>`).

Each script parses `key=value` settings and calls the library modules beside this folder (trainer.tokenizer,
trainer.pack, trainer.train, ...), which know nothing of the command line, as in nanochat's scripts/ beside nanochat/.
"""
