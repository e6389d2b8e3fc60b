"""Views, buttons and modals. They hold no business logic: callbacks hand over to the bot's services."""
