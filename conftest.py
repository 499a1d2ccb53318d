# eventlet must patch the standard library before anything else imports it.
import eventlet

eventlet.monkey_patch()
