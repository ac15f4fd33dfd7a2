"""The forms. FlaskForm adds the hidden csrf_token field: render it with form.hidden_tag()."""
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length


def strip(value):
    return value.strip() if isinstance(value, str) else value


class RegisterForm(FlaskForm):
    username = StringField("Username", filters=[strip], validators=[
        DataRequired("Choose a username."),
        Length(3, 30, "The username must be 3 to 30 characters long."),
    ])
    password = PasswordField("Password", validators=[
        DataRequired("Choose a password."),
        Length(min=8, message="The password must be at least 8 characters long."),
    ])
    confirm = PasswordField("Repeat the password", validators=[
        DataRequired("Type the password again."),
        EqualTo("password", "The two passwords do not match."),
    ])
    submit = SubmitField("Join the crew")


class LoginForm(FlaskForm):
    username = StringField("Username", filters=[strip], validators=[DataRequired("Enter your username.")])
    password = PasswordField("Password", validators=[DataRequired("Enter your password.")])
    submit = SubmitField("Log in")


class MissionForm(FlaskForm):
    name = StringField("Mission name", filters=[strip], validators=[
        DataRequired("Give the mission a name."),
        Length(3, 60, "The mission name must be 3 to 60 characters long."),
    ])
    submit = SubmitField("Add mission")
