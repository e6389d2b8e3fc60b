"""The bot's extensions, one per area. ``setup_hook`` loads exactly the modules listed here, in order;
a new area (curation, knowledge admin) adds its module to :data:`EXTENSIONS`."""

EXTENSIONS: tuple[str, ...] = (
    "bot.exts.errors",
    "bot.exts.ask",
    "bot.exts.lookup",
    "bot.exts.api_lookup",
    "bot.exts.conversation",
    "bot.exts.curation",
    "bot.exts.kb_admin",
    "bot.exts.review",
    "bot.exts.selftest",
    "bot.exts.settings",
    "bot.exts.solved",
)
