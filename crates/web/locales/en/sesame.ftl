# Sésame, English. Same keys as fr/sesame.ftl (a unit test checks it).

## Layout (base.html)
langue = en
evitement = Skip to content
produit = Sign in to online services
pied-nav = Legal information
pied-accessibilite-conforme = Accessibility: fully compliant
pied-accessibilite-partiellement-conforme = Accessibility: partially compliant
pied-accessibilite-non-conforme = Accessibility: not compliant
pied-mentions = Legal notice
pied-donnees = Personal data
pied-aide = Help
pied-texte = Sésame — the sign-in service for the school's online services.
pied-langue = Language

## Profiles (the domain's labels)
profil-eleve = Pupil
profil-parent = Parent
profil-personnel_education = National Education staff
profil-personnel_collectivite = Local authority staff
profil-invite = Guest

## Profile choice (profile.html)
profils-titre = Choose your profile
accroche = The service you want to use requires you to sign in.
profils-legende = Sign in with the profile:
profils-memoriser = Remember my profile
valider = Continue

## Login (login.html)
erreur-prefixe = Error:
connexion-titre = Sign in ({ $profil })
connexion-profil-choisi = Chosen profile:
changer-profil = Change profile
connexion-consigne = Enter your username and your password.
identifiant = Username
identifiant-oublie = forgotten your username?
mot-de-passe = Password
mot-de-passe-oublie = forgotten your password?
se-connecter = Sign in
connexion-amont = Or sign in with
connexion-avec = Sign in with { $nom }
renvoi-question = Did you not receive the email, or does the link no longer work?
renvoi-bouton = Send the email again
premiere-visite = First visit
premiere-parent = <strong>You are a Parent</strong><br>You have received one or more Parent Activation Codes (one per child).
premiere-eleve = <strong>You are a Pupil</strong><br>You have received a Pupil Activation Code.
premiere-creer = create your account
premiere-autre = <strong>{ $profil } profile</strong><br>Your account is provided by your employer or by the institution hosting you: you do not need to create one here. For any question: { $aide }.
connexion-echec = Incorrect username or password.
connexion-attente = Your account is awaiting confirmation: open the link in the email sent when it was created (check your spam folder).
profil-indisponible-titre = Profile not available
profil-indisponible-texte = Signing in with this profile is not yet set up for this académie.
trop-tentatives-connexion = Too many sign-in attempts from your network. Please try again in a few minutes.
retour = Back

## Error summary (summary.html)
resume-une-erreur = The form contains one error
resume-erreurs = The form contains { $nombre } errors

## Expired forms
formulaire-expire-titre = Form expired
formulaire-expire-texte = This form has expired or has already been sent. Please start again.
recommencer = Start again

## Error pages (error.html)
erreur-retour-accueil = Back to the home page
erreur-404-titre = Page not found
erreur-404-texte = The page you asked for does not exist.
erreur-405-titre = Unexpected action
erreur-405-texte = This page cannot be used this way. Go back to the home page and start again.
erreur-410-titre = Link expired
erreur-410-texte = This link is no longer valid. Start again from the home page.
erreur-413-titre = Too much data sent
erreur-413-texte = The information sent is too large. Go back to the previous page and start again.
erreur-400-titre = Unreadable form
erreur-400-texte = The form sent could not be read. Go back to the previous page and start again.
erreur-429-titre = Too many attempts
erreur-429-texte = Too many requests in a short time. Please try again in a few minutes.
erreur-503-titre = Service temporarily unavailable
erreur-503-texte = The service is temporarily unavailable. Please try again in a few moments.
erreur-500-titre = Error
erreur-500-texte = An error occurred. Please try again in a few moments.
erreur-autre-titre = Request refused
erreur-autre-texte = This request cannot be completed. Go back to the home page and start again.

# SMS
sms-erreur = Error
sms-titre = Creating your parent account by text message
sms-page-numero = I did not receive a letter
sms-page-code = The code received by text message
sms-page-enfant = Checking your identity
sms-page-compte = Choosing your username and password
sms-lien = I did not receive a letter
sms-lien-aide = You did not receive the letter with your activation codes? You can create your account with the mobile number you gave your child's school.
sms-retour-courrier = I received a letter with my activation codes
sms-numero-legende = Enter the mobile number you gave your child's school. A confirmation code will be sent to you by text message.
sms-numero-champ = Mobile phone number *
sms-numero-aide = The text message is sent only if this number is the one the school holds. If you do not receive it, check the number or ask the school office.
sms-numero-bouton = Receive a code by text message
sms-code-legende = Enter the 6-digit code received by text message. It is valid for 10 minutes.
sms-code-champ = Code received by text message *
sms-code-aide = Nothing received after a few minutes?
sms-code-nouveau = Ask for a new code
sms-code-bouton = Confirm the code
sms-enfant-legende = To check your identity, enter the first name and birth date of one of your children at school.
sms-enfant-prenom = Child's first name *
sms-enfant-naissance = Born on (dd/mm/yyyy) *
sms-enfant-bouton = Continue
sms-obligatoires = * All fields marked with a star are required.
sms-compte-legende = Choose the username and password you will use from now on to sign in to these services.
sms-compte-identifiant = Your username *
sms-compte-mot-de-passe = Your password * ({ $regle })
sms-compte-confirmation = Confirm the password *
sms-compte-courriel-legende = Enter and confirm your email address below.
sms-compte-courriel = Your email address *
sms-compte-courriel2 = Confirm your email address *
sms-compte-bouton = Create my account
sms-trop-titre = Too many requests
sms-trop-texte = Too many code requests for this number or from your network. Please try again later.
sms-retour = Back
sms-cree-titre = Your account is created
sms-cree-texte = Your account is active: it gives access to the information of each of your children. You can now sign in with your username and password.
sms-cree-lien = Sign in
