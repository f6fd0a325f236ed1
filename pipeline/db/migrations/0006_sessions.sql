-- Version 6: session revocation. Every session cookie carries its user's generation at sign-in; logout,
-- a password change and (de)activation bump it, so every cookie issued before stops working at once.
ALTER TABLE users ADD COLUMN session_gen INTEGER DEFAULT 0;
