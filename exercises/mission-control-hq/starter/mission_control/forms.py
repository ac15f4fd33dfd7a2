"""The forms. A FlaskForm has a hidden csrf_token field: render it with {{ form.hidden_tag() }}."""
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired


class RegisterForm(FlaskForm):
    # TODO (register): the rules of the README (look at wtforms.validators: Length, EqualTo),
    # and a confirm field. A username is stored without its surrounding spaces.
    username = StringField("Username", validators=[DataRequired()])
    password = PasswordField("Password", validators=[DataRequired()])
    submit = SubmitField("Join the crew")


# TODO (login): a LoginForm with username and password.
# TODO (missions): a MissionForm with a name.
