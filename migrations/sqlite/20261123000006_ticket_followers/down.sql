DROP TABLE ticket_followers;
