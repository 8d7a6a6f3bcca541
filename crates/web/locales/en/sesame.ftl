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

## Form messages of the services (sesame-service, sesame-domain: FieldErrors, PasswordProblem, CodeError, the password rule)
erreur-identifiant-format = The username must have 3 to 64 characters: unaccented letters, digits, “.”, “-” or “_”.
erreur-mdp-differents = The two passwords are not the same.
erreur-courriel-invalide = Enter a valid email address (e.g. firstname.lastname@example.com).
erreur-courriels-differents = The two email addresses are not the same.
erreur-code-compte-en-attente = This activation code has already been used to create an account that is awaiting confirmation: open the link in the email received, or wait a week to start again.
erreur-code-compte-existant = This activation code has already been used to create an account. Sign in with your username, or use “forgotten your username?”.
erreur-identifiant-utilise = This username is already in use: choose another one.
erreur-eleve-non-identifie = We could not identify the pupil with this information. Check the first name, the date of birth and the code on the letter.
erreur-aucun-enfant = Enter at least one child: their first name, their date of birth and your activation code.
erreur-enfant-en-double = This child is already on another row.
erreur-codes-vous-plusieurs = The codes in the “You” column must all be on letters addressed to you: here they name several people. For the children of another parent, create a joint account.
erreur-codes-autre-incoherents = The codes in the “Other parent” column must all be on letters addressed to the children's other legal guardian.
erreur-joint-sans-autre = For a joint account, also enter the other parent's activation code for at least one child (or create a personal account).
erreur-code-vient-de-servir = This activation code has just been used to create another account.
erreur-prenom-eleve = Enter the pupil's first name.
erreur-naissance = Enter the date of birth as dd/mm/yyyy.
erreur-code-a-servi-compte = This activation code has already been used to create an account.
erreur-rattacher-responsable = Only a parent account can link a child.
erreur-rattacher-champs = Enter the first name, the date of birth (dd/mm/yyyy) and the Parent Activation Code on the letter.
erreur-code-autre-personne = This code is on a letter addressed to someone else: each parent links their children with their own codes.
erreur-enfant-signale = You reported that this child is not yours: the school must first deal with that report.
erreur-enfant-deja-rattache = This child is already linked to your account.
erreur-code-a-servi = This activation code has already been used.
erreur-identifiant-pris = This username is already taken: choose another one.
erreur-identifiant-identique = This is already your username: enter the one you want.
erreur-identifiant-deja-choisi = Your username can no longer be changed: it was chosen when the account was created or at a previous change.
erreur-mdp-actuel = Incorrect current password.
erreur-mdp-temporaire = Choose a password different from the temporary password.
erreur-mdp-ancien = Choose a password different from your old password.
erreur-ligne-prenom = Row { $ligne }: enter the child's first name.
erreur-ligne-naissance = Row { $ligne }: enter the date of birth as dd/mm/yyyy.
erreur-ligne-code = Row { $ligne }: your activation code is mistyped ({ $raison }).
erreur-ligne-code-autre = Row { $ligne }: the other parent's code is mistyped ({ $raison }).
erreur-code-mal-saisi = The activation code is mistyped: { $raison }.
code-longueur = an activation code has 13 characters
code-caracteres = an activation code holds only digits and letters
mdp-trop-court = The password must have at least { $nombre } characters.
mdp-trop-long = The password must not be longer than 128 characters.
mdp-lettres-chiffres = The password must contain letters AND digits.
mdp-faible = The password is too weak: mix at least 3 kinds of characters (lower case, upper case, digits, special characters), or make it longer.
mdp-courant = This password is too common or too simple: choose another one.
mdp-devinable = This password is too common: it is quickly guessed (common word or first name, date, keyboard sequence…). Choose a longer or less predictable one.
mdp-personnel = This password is too close to your personal data (username, first name, date of birth…).
mdp-regle = at least { $nombre } characters, digits AND letters required
mdp-regle-cnil = at least { $nombre } characters, with at least 3 kinds of characters among lower case, upper case, digits and special characters (or longer)
