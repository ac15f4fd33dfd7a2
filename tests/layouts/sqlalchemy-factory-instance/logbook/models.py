from logbook.extensions import db


class Mission(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(200), unique=True, nullable=False)
    entries = db.relationship("LogEntry", backref="mission", lazy="dynamic")

    def as_dict(self):
        return {"id": self.id, "name": self.name}


class LogEntry(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    mission_id = db.Column(db.Integer, db.ForeignKey("mission.id"), nullable=False)
    text = db.Column(db.Text, nullable=False)

    def as_dict(self):
        return {"id": self.id, "mission_id": self.mission_id, "text": self.text}
