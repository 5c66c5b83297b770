DROP TABLE announcements;
DROP TABLE ticket_attachments;
