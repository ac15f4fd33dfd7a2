from .extensions import db


class Probe(db.Model):  # table "probe"
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(200), nullable=False)

    def to_json(self):
        return {"id": self.id, "name": self.name}
