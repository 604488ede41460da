// placeholder until the CLI helper writes it
process.exit(0);
