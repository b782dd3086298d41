"""Snakemake entry point of rule make_dataset."""

from bnstudy.data import make_dataset, save_dataset
from bnstudy.io import log_to

log_to(snakemake.log[0])
settings = dict(snakemake.params.settings)
save_dataset(make_dataset(settings.pop("name"), settings), snakemake.output.data)
