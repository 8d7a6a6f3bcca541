# Mails
# The mails of an account, in its language (crates/service/src/mail/).

## Around every mail
mail-objet = { $academie }: { $objet }
mail-bonjour = Hello,
mail-signature = The online services of { $academie }
mail-automatique = This email is sent automatically: please do not reply to it.
mail-bouton-secours = If the button does not work, copy this address into your browser:
mail-action = { $action }:

## Pupil account created
mail-eleve-objet = your account has been created
mail-eleve-1 = Your account for the online services has been created. Your identifiant: { $identifiant }
mail-eleve-2 = If you did not create it, tell your school's office.
mail-eleve-action = To sign in

## Parent account confirmation, and its reminders
mail-confirmation-objet = confirm the creation of your account
mail-confirmation-1 = Your account for the online services has been created with the identifiant { $identifiant }. To activate it, open the link below and click « Confirm my account » before { $date }.
mail-confirmation-2 = After this one-week delay, the account is deleted automatically: you will have to create it again, with the same activation codes.
mail-confirmation-3 = If you did not ask for this, ignore this email: the account will be deleted.
mail-confirmation-action = Confirm my account
mail-rappel-objet = reminder, confirm the creation of your account
mail-rappel-1 = Your account for the online services, identifiant { $identifiant }, is not activated yet. To activate it, open the link below and click « Confirm my account » before { $date }.
mail-rappel-2 = This link replaces those of the earlier emails, which no longer work. Without a confirmation before that date, the account is deleted automatically: you will have to create it again, with the same activation codes.

## Login blocked
mail-blocage-objet = sign-in blocked after several failures
mail-blocage-1 = After several wrong passwords, signing in to the account { $identifiant } is blocked for 24 hours. If it was you, you can unblock it at once with the link below (valid for one hour).
mail-blocage-2 = If it was not you, someone tried to guess your password: they could not sign in. Choose a password that you use nowhere else.
mail-blocage-action = Unblock my account

## Lost identifiant
mail-identifiant-objet = your identifiant
mail-identifiants-objet = your identifiants
mail-identifiant-1 = You asked for your identifiant for the online services. Here it is: { $liste }
mail-identifiants-1 = You asked for your identifiant for the online services. Several accounts use this address: { $liste }
mail-identifiant-2 = Your password has not changed. If you did not ask for this, ignore this email.
mail-identifiant-action = To sign in

## Lost password
mail-temporaire-objet = your temporary password
mail-temporaire-1 = You asked for a new password for the account { $identifiant }. Here is a temporary password, valid for { $heures } hours and once only: { $temporaire }
mail-temporaire-2 = Sign in with your identifiant and this temporary password: you will then choose a new password at once. As long as you do not use it, your current password remains valid.
mail-temporaire-3 = If you did not ask for this, ignore this email: your current password remains valid.
mail-se-connecter = Sign in

## Password changed
mail-mot-de-passe-objet = your password has been changed
mail-mot-de-passe-1 = The password of the account { $identifiant } has just been changed; the other open sessions have been closed.
mail-mot-de-passe-2 = If you did not make this change, use « forgot your password? » on the sign-in page at once, or tell the school.

## Email change
mail-adresse-objet = confirm your new address
mail-adresse-1 = You asked that the account { $identifiant } use this address from now on. To confirm, open the link below and click « Confirm this address » within 24 hours.
mail-adresse-2 = If you did not ask for this, ignore this email: nothing will change.
mail-adresse-action = Confirm this address
mail-ancienne-objet = change of address requested
mail-ancienne-1 = A change of email address has been requested for the account { $identifiant }. This address remains the account's until the new one is confirmed.
mail-ancienne-2 = If you did not ask for this, cancel it with the link below (valid for 24 hours) and change your password.
mail-ancienne-action = Cancel the change

## Child attached
mail-rattachement-objet = a child has been attached to your account
mail-rattachement-1 = The pupil { $prenom } has just been attached to the account { $identifiant }.
mail-rattachement-2 = If you did not attach this pupil, tell the school.

## Password-renewal campaign
mail-campagne-objet = choose a new password
mail-campagne-1 = As a security measure, the sessions open with your account have been closed and you will have to choose a new password the next time you sign in.
mail-campagne-2 = Sign in as usual with your identifiant and your current password: the next page will ask you for the new one. You need not reply to this email; no agent will ever ask you for your password.

## Leaver: account to be deleted
mail-suppression-objet = your account is going to be deleted
mail-suppression-1 = The account { $identifiant } is no longer attached to any pupil enrolled in a school of the académie. It will be deleted on { $date }, together with the data it holds.
mail-suppression-2 = If you think this is a mistake, contact the school's office before that date.
